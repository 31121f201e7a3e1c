"""Other generators and languages against the contract: see README "Generating clients in other languages"."""

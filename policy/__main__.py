"""Clearwater security-group guardrails, for any stack:

    pulumi preview --policy-pack policy

Pulumi runs this file with the pack's directory on sys.path; constructing the PolicyPack
starts the analyzer server the CLI talks to.
"""

from clearwater_pack import PACK_NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=policies())

"""Adopt and drift: read a deployment's security groups from the live cloud and compare
them with what the program registers.

* `adopt` writes the `pulumi import --file` document that brings existing groups and
  rules under the program, with its own resource names and parents, and reports what
  the first `pulumi up` will then create, what no planned rule asks for, and what is
  kept.
* `drift` compares the cloud with the plan both ways and exits non-zero on any
  difference.
* `prune` deletes the rules drift calls unplanned from the deployment's own groups
  (`--yes`; a dry run without it) and reads the groups back to confirm.

Command line: `python -m clearwater_sg.live adopt|drift|prune --help`. AWS is read with boto3
(`pip install 'clearwater-sg[live-aws]'`), OpenStack with openstacksdk
(`pip install 'clearwater-sg[live-openstack]'`); both are imported only when used. The
comparison is `clearwater_sg.live.compare`, each cloud's reader `.aws` and `.openstack`,
the deletion `.prune`.
"""

#!/usr/bin/env python3
"""A local EC2 endpoint for the `local` stack: moto's EC2 emulator on loopback, with the
VPC that stacks/Pulumi.local.yaml names.

    .venv/bin/python scripts/local-ec2.py            # serves until Ctrl-C
    .venv/bin/python scripts/local-ec2.py --port 5055 --stack-file stacks/Pulumi.local.yaml

It starts moto's server on 127.0.0.1:PORT (the port in the stack's `aws:endpoints`),
creates a dual-stack VPC, and makes the stack file name it: moto cannot be told a VPC's
id, so when the id it made is not the stack's `clearwater-sg:vpcId` (another moto than
the locked one), the script writes the new id into that line of the stack file, and says
so. Ids are seeded, so with the locked moto the file never changes. It then prints one
line starting with READY and serves until interrupted. Everything lives in memory: stop
the server and it is all gone, so before the next `pulumi up` run `pulumi refresh` (with
the server running again) or `pulumi stack rm local --force --preserve-config`.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
import urllib.request
from pathlib import Path
from types import FrameType

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK_FILE = PROJECT_DIR / "stacks" / "Pulumi.local.yaml"
HOST = "127.0.0.1"  # loopback only
DEFAULT_PORT = 5055
REGION = "us-east-1"
SEED = 20250101  # fixes moto's ids: with one moto release, the same VPC id every run
VPC_CIDR = "10.0.0.0/16"


VPC_LINE = re.compile(r"^(\s*clearwater-sg:vpcId:\s*)(\S+)(.*)$", re.MULTILINE)


def name_vpc_in_stack(stack_file: Path, vpc_id: str) -> str | None:
    """Make the stack file's `clearwater-sg:vpcId` line name `vpc_id`, touching nothing
    else of the file; the id it named before, if it differed."""
    text = stack_file.read_text()
    found = VPC_LINE.search(text)
    if found is None:
        raise SystemExit(f"{stack_file} has no `clearwater-sg:vpcId:` line to name the VPC in")
    if found.group(2) == vpc_id:
        return None
    stack_file.write_text(text[: found.start(2)] + vpc_id + text[found.end(2) :])
    return found.group(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port on 127.0.0.1")
    parser.add_argument(
        "--stack-file",
        type=Path,
        default=STACK_FILE,
        help="the stack file whose clearwater-sg:vpcId names the VPC (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address=HOST, port=args.port, verbose=False)
    server.start()
    url = f"http://{HOST}:{args.port}"
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        seed = urllib.request.Request(f"{url}/moto-api/seed?a={SEED}", data=b"", method="POST")
        with opener.open(seed, timeout=30) as response:
            response.read()
        ec2 = boto3.client(
            "ec2",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(proxies={"http": "", "https": ""}),
        )
        vpc_id = ec2.create_vpc(
            CidrBlock=VPC_CIDR,
            AmazonProvidedIpv6CidrBlock=True,
            TagSpecifications=[
                {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "clearwater-local"}]}
            ],
        )["Vpc"]["VpcId"]
        replaced = name_vpc_in_stack(args.stack_file, vpc_id)
        if replaced is None:
            print(f"VPC {vpc_id} (the vpcId in {args.stack_file.name}) is ready.")
        else:
            print(
                f"VPC {vpc_id} is ready; {args.stack_file.name} named {replaced} (made by "
                "another moto release), and now names it."
            )
        print(f"READY EC2 endpoint {url} region {REGION} vpc {vpc_id}", flush=True)
        while not stopped.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

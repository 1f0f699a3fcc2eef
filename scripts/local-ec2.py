#!/usr/bin/env python3
"""A local EC2 endpoint for the `local` stack: moto's EC2 emulator on loopback, with the
VPC that stacks/Pulumi.local.yaml names.

    .venv/bin/python scripts/local-ec2.py            # serves until Ctrl-C
    .venv/bin/python scripts/local-ec2.py --port 5055

It starts moto's server on 127.0.0.1:PORT (the port in the stack's `aws:endpoints`),
seeds moto's random generator so that ids come out the same on every run, and creates a
dual-stack VPC. With moto 5.2 that VPC's id is the stack's `clearwater-sg:vpcId`; if it
is not (another moto version), it prints the `pulumi config set` command that points the
stack at the VPC it created. It then prints one line starting with READY and serves
until interrupted. Everything lives in memory: stop the server and it is all gone, so
before the next `pulumi up` run `pulumi refresh` (with the server running again) or
`pulumi stack rm local --force --preserve-config`. See docs/local-stack.md.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import urllib.request
from pathlib import Path
from types import FrameType

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK_FILE = PROJECT_DIR / "stacks" / "Pulumi.local.yaml"
HOST = "127.0.0.1"  # loopback only
DEFAULT_PORT = 5055
REGION = "us-east-1"
SEED = 20250101  # fixes moto's ids, so the VPC id matches the stack file
VPC_CIDR = "10.0.0.0/16"


def stack_vpc_id() -> str | None:
    if not STACK_FILE.is_file():
        return None
    config = (yaml.safe_load(STACK_FILE.read_text()) or {}).get("config") or {}
    value = config.get("clearwater-sg:vpcId")
    return str(value) if value is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port on 127.0.0.1")
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
        expected = stack_vpc_id()
        if vpc_id == expected:
            print(f"VPC {vpc_id} (the vpcId in {STACK_FILE.name}) is ready.")
        else:
            print(f"This moto made VPC {vpc_id}, but {STACK_FILE.name} names {expected}. Run:")
            print(f"  pulumi config set clearwater-sg:vpcId {vpc_id} --stack local")
        print(f"READY EC2 endpoint {url} region {REGION} vpc {vpc_id}", flush=True)
        while not stopped.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Keep the VPC address ranges in the manifests equal to the Terraform environments.

NetworkPolicy cannot name a VPC subnet, so the manifests write the subnets of the prod
primary VPC as ipBlock CIDRs. Every other cluster (staging, dev and each DR region) gets
the same manifests with those CIDRs replaced by its own, computed here from
terraform/environments/<env>.tfvars the way terraform/modules/network cuts its VPC:
  private subnets  cidrsubnet(vpc, 3, 1 + zone)   nodes, EKS API, interface endpoints
  isolated subnets cidrsubnet(vpc, 8, 16 + zone)  Aurora PostgreSQL
for the three zones 0, 1 and 2.

Usage:
  python vpc_ranges.py check
      fail unless every VPC ipBlock in kubernetes/ and the chart's values-prod.yaml and
      values-dr.yaml is a subnet of the prod primary or DR VPC respectively
  python vpc_ranges.py render ENV REGION OUT_DIR
      copy the manifests of kubernetes/ to OUT_DIR with the prod primary subnets replaced
      by those of ENV (dev, staging, prod) in REGION (primary, dr), ready to apply

Exit status: 0 on success, 1 when a check fails, 2 on a usage error.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

import yaml

KUBERNETES = Path(__file__).resolve().parent
INFRASTRUCTURE = KUBERNETES.parent
ENVIRONMENTS = INFRASTRUCTURE / "terraform" / "environments"
CHART = INFRASTRUCTURE / "helm" / "nexafi-financial-services"
REGIONS = {"primary": "primary_vpc_cidr", "dr": "dr_vpc_cidr"}
ZONES = range(3)
# ipBlocks that are not VPC subnets: the Pod Identity agent's link-local address, and
# public addresses (S3 through the gateway endpoint) with the RFC 1918 and link-local
# ranges cut out.
NOT_VPC = {
    "169.254.170.23/32",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
}


class CheckFailed(Exception):
    """A range in the manifests does not match the Terraform environments."""


def cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    """Return Terraform's cidrsubnet(prefix, newbits, netnum)."""
    network = ipaddress.ip_network(prefix)
    return str(list(network.subnets(prefixlen_diff=newbits))[netnum])


def vpc_cidr(environment: str, region: str) -> str:
    """Read the VPC CIDR of one environment and region from its tfvars file."""
    path = ENVIRONMENTS / f"{environment}.tfvars"
    if not path.is_file():
        raise CheckFailed(f"{path} not found; ENV must be one of dev, staging, prod")
    variable = REGIONS[region]
    match = re.search(rf'^{variable}\s*=\s*"([^"]+)"', path.read_text("utf-8"), re.MULTILINE)
    if match is None:
        raise CheckFailed(f"{path}: {variable} is missing")
    return match[1]


def subnets(environment: str, region: str) -> dict[str, list[str]]:
    """Return the private and isolated subnets of one VPC, in zone order."""
    vpc = vpc_cidr(environment, region)
    return {
        "private": [cidrsubnet(vpc, 3, 1 + zone) for zone in ZONES],
        "isolated": [cidrsubnet(vpc, 8, 16 + zone) for zone in ZONES],
    }


def manifests() -> list[Path]:
    """Return the YAML files under kubernetes/ except rule sources, tests and Alertmanager's."""
    return sorted(
        path
        for path in KUBERNETES.rglob("*.yaml")
        if "tests" not in path.parts and path.parent.name not in ("rules", "alertmanager")
    )


def ip_blocks(value: object) -> list[str]:
    """Collect every ipBlock cidr and except entry in a parsed YAML value."""
    found: list[str] = []
    if isinstance(value, dict):
        block = value.get("ipBlock")
        if isinstance(block, dict):
            found.append(block["cidr"])
            found.extend(block.get("except", []))
        for item in value.values():
            found.extend(ip_blocks(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(ip_blocks(item))
    return found


def check() -> None:
    """Require the manifests and chart values to use only the prod VPCs' subnets."""
    for environment in ("dev", "staging", "prod"):
        for region in REGIONS:
            subnets(environment, region)

    prod = subnets("prod", "primary")
    allowed = set(prod["private"]) | set(prod["isolated"]) | NOT_VPC
    count = 0
    problems = []
    for path in manifests():
        for document in yaml.safe_load_all(path.read_text("utf-8")):
            for cidr in ip_blocks(document):
                count += 1
                if cidr not in allowed:
                    problems.append(
                        f"{path.relative_to(INFRASTRUCTURE)}: ipBlock {cidr} is no subnet of "
                        f"the prod primary VPC {vpc_cidr('prod', 'primary')}"
                    )

    for values_file, region in (("values-prod.yaml", "primary"), ("values-dr.yaml", "dr")):
        expected = subnets("prod", region)
        network = yaml.safe_load((CHART / values_file).read_text("utf-8"))["networkPolicy"]
        pairs = (
            ("networkPolicy.postgres.cidrs", network["postgres"]["cidrs"], expected["isolated"]),
            ("networkPolicy.awsEndpointCidrs", network["awsEndpointCidrs"], expected["private"]),
        )
        for key, found, wanted in pairs:
            if found != wanted:
                problems.append(f"chart {values_file}: {key} is {found}, prod {region} has {wanted}")

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        raise CheckFailed("the ranges do not match terraform/environments/*.tfvars")
    print(f"{count} ipBlocks in kubernetes/ and the chart's prod and DR values match Terraform")


def render(environment: str, region: str, out_dir: Path) -> None:
    """Copy kubernetes/ to out_dir with the target VPC's subnets in every ipBlock."""
    if region not in REGIONS:
        raise CheckFailed(f"unknown region {region!r}; use primary or dr")
    source, target = subnets("prod", "primary"), subnets(environment, region)
    replacements = {
        old: new
        for kind in ("private", "isolated")
        for old, new in zip(source[kind], target[kind], strict=True)
    }
    pattern = re.compile("|".join(re.escape(cidr) for cidr in replacements))
    allowed = set(target["private"]) | set(target["isolated"]) | NOT_VPC
    files = manifests()
    blocks = 0
    for path in files:
        destination = out_dir / path.relative_to(KUBERNETES)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = pattern.sub(lambda m: replacements[m[0]], path.read_text("utf-8"))
        destination.write_text(text, "utf-8")

        # A range the replacement missed would open or close the wrong subnet.
        for document in yaml.safe_load_all(text):
            for cidr in ip_blocks(document):
                blocks += 1
                if cidr not in allowed:
                    raise CheckFailed(f"{destination}: ipBlock {cidr} is no subnet of the target VPC")
    print(f"{len(files)} files for {environment} {region} ({blocks} ipBlocks) written to {out_dir}")


def main(argv: list[str]) -> int:
    try:
        if argv[1:] == ["check"]:
            check()
        elif len(argv) == 5 and argv[1] == "render":
            render(argv[2], argv[3], Path(argv[4]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except CheckFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

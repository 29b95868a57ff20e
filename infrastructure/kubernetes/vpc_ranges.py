"""Keep the VPC ranges and AWS names in the manifests equal to the Terraform environments.

NetworkPolicy cannot name a VPC subnet, so the manifests write the subnets of the prod
primary VPC as ipBlock CIDRs. Every other cluster (staging, dev and each DR region) gets
the same manifests with those CIDRs replaced by its own, computed here from
terraform/environments/<env>.tfvars the way terraform/modules/network cuts its VPC:
  private subnets  cidrsubnet(vpc, 3, 1 + zone)   nodes, EKS API, interface endpoints
  isolated subnets cidrsubnet(vpc, 8, 16 + zone)  Aurora PostgreSQL
for the three zones 0, 1 and 2.

The manifests also name AWS resources and regions of prod primary. A render rewrites them
the way Terraform names them for the target (main.tf, security.tf, backup.tf), with the
name prefix, bucket prefix and regions read from <env>.tfvars and the defaults of
terraform/variables.tf:
  nexafi-prod                      cluster name (the same in both regions)
  nexafi-prod-velero               Velero bucket; the DR render uses its replica -velero-dr
  nexafi-prod-vault-snapshots      Vault snapshot bucket; the DR render uses -vault-snapshots-dr
  nexafi-prod-backup               KMS alias of the backup key (same alias in both regions)
  nexafi-prod-public               WAF web ACL (primary region only)
  nexafi-prod-guardduty-high       EventBridge rule (primary region only)
  eu-west-1                        the target region, except in PRIMARY_ONLY_FILES
  eu-central-1                     the environment's DR region
  eu-west-1|eu-central-1           both regions of the environment (admission policy's ECR pattern)
A manifest name that starts with the prod prefix and is not in this list fails check and
render, so a new name cannot reach another environment unrewritten.

A DR render is for the warm standby: it pauses the Velero schedules, makes the backup
location read-only and suspends the Vault snapshot CronJob, so the standby never writes
into the replica buckets that replication fills from the primary. At failover, the
runbook turns them back on.

Usage:
  python vpc_ranges.py check
      fail unless every VPC ipBlock in kubernetes/ and the chart's values-prod.yaml and
      values-dr.yaml is a subnet of the prod primary or DR VPC respectively, and unless
      every prod name in kubernetes/ is one that render rewrites
  python vpc_ranges.py render ENV REGION OUT_DIR
      copy the manifests of kubernetes/ to OUT_DIR with the prod primary subnets replaced
      and the prod primary names and regions by those of ENV (dev, staging, prod) in
      REGION (primary, dr), ready to apply

Exit status: 0 on success, 1 when a check fails, 2 on a usage error.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

KUBERNETES = Path(__file__).resolve().parent
INFRASTRUCTURE = KUBERNETES.parent
ENVIRONMENTS = INFRASTRUCTURE / "terraform" / "environments"
VARIABLES = INFRASTRUCTURE / "terraform" / "variables.tf"
CHART = INFRASTRUCTURE / "helm" / "nexafi-financial-services"
REGIONS = {"primary": "primary_vpc_cidr", "dr": "dr_vpc_cidr"}
# Files that watch resources Terraform creates in the primary region only (the web ACL and
# the EventBridge rule of security.tf), so a DR render keeps the primary region in them.
PRIMARY_ONLY_FILES = {"monitoring/cloudwatch-exporter.yaml"}
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


@dataclass(frozen=True)
class Naming:
    """The Terraform naming inputs of one environment."""

    name: str
    bucket_prefix: str
    primary_region: str
    dr_region: str

    def region(self, region: str) -> str:
        """Return the AWS region of REGION (primary or dr)."""
        return self.primary_region if region == "primary" else self.dr_region


def tfvars_string(path: Path, variable: str) -> str | None:
    """Return the string value of a top-level variable in a tfvars file, or None if unset."""
    match = re.search(rf'^{variable}\s*=\s*"([^"]*)"', path.read_text("utf-8"), re.MULTILINE)
    return None if match is None else match[1]


def variable_default(variable: str) -> str:
    """Return the string default of a variable declared in terraform/variables.tf."""
    declaration = rf'^variable "{variable}" \{{\n(.*?)^\}}'
    block = re.search(declaration, VARIABLES.read_text("utf-8"), re.MULTILINE | re.DOTALL)
    default_line = r'^\s*default\s*=\s*"([^"]+)"'
    default = None if block is None else re.search(default_line, block[1], re.MULTILINE)
    if default is None:
        raise CheckFailed(
            f"{VARIABLES}: variable {variable} has no string default. "
            f"Set {variable} in every terraform/environments/*.tfvars or give it a default"
        )
    return default[1]


def naming(environment: str) -> Naming:
    """Read the name prefix, bucket prefix and regions of one environment like main.tf does."""
    path = ENVIRONMENTS / f"{environment}.tfvars"
    if not path.is_file():
        raise CheckFailed(f"{path} not found; ENV must be one of dev, staging, prod")
    declared = tfvars_string(path, "environment")
    if declared != environment:
        found = "missing" if declared is None else f"{declared!r}"
        raise CheckFailed(f'{path}: environment is {found}; set environment = "{environment}"')
    name = f"nexafi-{environment}"
    regions = {
        variable: tfvars_string(path, variable) or variable_default(variable)
        for variable in ("primary_region", "dr_region")
    }
    return Naming(
        name=name,
        bucket_prefix=tfvars_string(path, "bucket_name_prefix") or name,
        primary_region=regions["primary_region"],
        dr_region=regions["dr_region"],
    )


def aws_replacements(environment: str, region: str, primary_only: bool) -> dict[str, str]:
    """Map each prod primary AWS name and region to that of ENVIRONMENT in REGION."""
    source, target = naming("prod"), naming(environment)
    # The DR cluster writes to and restores from the DR replicas of the backup buckets,
    # which stay readable when the primary region is lost.
    replica = "-dr" if region == "dr" else ""
    own_region = target.primary_region if primary_only else target.region(region)
    return {
        source.name: target.name,
        f"{source.bucket_prefix}-velero": f"{target.bucket_prefix}-velero{replica}",
        f"{source.bucket_prefix}-vault-snapshots": f"{target.bucket_prefix}-vault-snapshots{replica}",
        f"{source.name}-backup": f"{target.name}-backup",
        f"{source.name}-public": f"{target.name}-public",
        f"{source.name}-guardduty-high": f"{target.name}-guardduty-high",
        f"{source.primary_region}|{source.dr_region}": f"{target.primary_region}|{target.dr_region}",
        source.primary_region: own_region,
        source.dr_region: target.dr_region,
    }


def aws_name_pattern() -> re.Pattern[str]:
    """Match every prod primary name, region pair, region and zone in a manifest.

    A name is the prod prefix with any dash-separated suffix, so a name missing from
    aws_replacements is found as a whole and reported, never rewritten in part.
    """
    source = naming("prod")
    prefixes = "|".join(re.escape(prefix) for prefix in sorted({source.name, source.bucket_prefix}))
    regions = "|".join(re.escape(region) for region in (source.primary_region, source.dr_region))
    pair = re.escape(f"{source.primary_region}|{source.dr_region}")
    edge, end = r"(?<![A-Za-z0-9-])", r"(?![A-Za-z0-9])"
    name = rf"{edge}(?:{prefixes})(?:-[a-z0-9]+)*{end}"
    region_or_zone = rf"{edge}(?:{regions})[a-z]?{end}"
    return re.compile(f"{pair}|{name}|{region_or_zone}")


def unknown_aws_names(text: str, replacements: dict[str, str]) -> list[tuple[int, str]]:
    """Return the line and text of every prod name or zone that render cannot rewrite."""
    return [
        (text.count("\n", 0, match.start()) + 1, match[0])
        for match in aws_name_pattern().finditer(text)
        if match[0] not in replacements
    ]


def unknown_name_message(path: Path, line: int, name: str) -> str:
    """Describe a prod name render cannot rewrite, and the fix."""
    return (
        f"{path}:{line}: {name} is a prod primary name that vpc_ranges.py cannot rewrite for "
        f"other environments; use a name from aws_replacements in vpc_ranges.py or add its "
        f"Terraform naming there"
    )


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
    """Require the manifests and chart values to use only the prod VPCs' subnets and names."""
    for environment in ("dev", "staging", "prod"):
        naming(environment)
        for region in REGIONS:
            subnets(environment, region)

    prod = subnets("prod", "primary")
    allowed = set(prod["private"]) | set(prod["isolated"]) | NOT_VPC
    count = 0
    problems = []
    known = aws_replacements("prod", "primary", primary_only=False)
    for path in manifests():
        text = path.read_text("utf-8")
        for line, name in unknown_aws_names(text, known):
            problems.append(unknown_name_message(path.relative_to(INFRASTRUCTURE), line, name))
        for document in yaml.safe_load_all(text):
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
        raise CheckFailed("the ranges or names do not match terraform/environments/*.tfvars")
    print(
        f"{count} ipBlocks in kubernetes/ and the chart's prod and DR values match Terraform, "
        "and render rewrites every prod name"
    )


STANDBY_EDITS = {
    "backup-recovery/velero-schedules.yaml": [
        ("\n  accessMode: ReadWrite\n", "\n  # Read-only on the standby: set ReadWrite at failover.\n  accessMode: ReadOnly\n"),
    ],
    "backup-recovery/vault-raft-snapshot.yaml": [
        ('\n  schedule: "*/15 * * * *"\n', '\n  # Suspended on the standby: set false at failover.\n  suspend: true\n  schedule: "*/15 * * * *"\n'),
    ],
}


def standby(relative: str, text: str) -> str:
    """Turn the writers of a DR render off (see the module docstring)."""
    for old, new in STANDBY_EDITS.get(relative, []):
        if text.count(old) != 1:
            raise CheckFailed(f"kubernetes/{relative}: expected one {old.strip()!r} to change for the standby")
        text = text.replace(old, new)
    if relative == "backup-recovery/velero-schedules.yaml":
        schedules = text.count("\nkind: Schedule\n")
        text = re.sub(
            r"(\nkind: Schedule\n(?:(?!\n---\n).)*?\nspec:\n)",
            r"\1  # Paused on the standby: set false at failover.\n  paused: true\n",
            text,
            flags=re.S,
        )
        if schedules == 0 or text.count("\n  paused: true\n") != schedules:
            raise CheckFailed(f"kubernetes/{relative}: could not pause every Velero Schedule for the standby")
    return text


def render(environment: str, region: str, out_dir: Path) -> None:
    """Copy kubernetes/ to out_dir with the target VPC's subnets, AWS names and region."""
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
    names_pattern = aws_name_pattern()
    files = manifests()
    # Every file is checked before the first is written, so a failed render writes nothing.
    known = aws_replacements(environment, region, primary_only=False)
    for path in files:
        for line, name in unknown_aws_names(path.read_text("utf-8"), known):
            raise CheckFailed(unknown_name_message(path.relative_to(INFRASTRUCTURE), line, name))

    blocks = 0
    for path in files:
        relative = path.relative_to(KUBERNETES)
        primary_only = relative.as_posix() in PRIMARY_ONLY_FILES
        names = aws_replacements(environment, region, primary_only=primary_only)
        text = pattern.sub(lambda m: replacements[m[0]], path.read_text("utf-8"))
        text = names_pattern.sub(lambda m: names[m[0]], text)
        if region == "dr":
            text = standby(relative.as_posix(), text)
        destination = out_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
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

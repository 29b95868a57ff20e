"""Tests of vpc_ranges.py: the AWS names and regions that render writes, and check.

Each test works on a copy of kubernetes/, terraform/environments/, terraform/variables.tf
and the chart's prod and DR values in a temporary directory, so a case can add a manifest
or change a tfvars file without touching the repository.

Usage: python3 infrastructure/kubernetes/tests/vpc_ranges_test.py
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

KUBERNETES = Path(__file__).resolve().parent.parent
INFRASTRUCTURE = KUBERNETES.parent
# Importing vpc_ranges must leave no __pycache__ in the repository.
sys.dont_write_bytecode = True
sys.path.insert(0, str(KUBERNETES))

import vpc_ranges  # noqa: E402


class RepositoryCopy(unittest.TestCase):
    """Point vpc_ranges at a copy of the files it reads."""

    def setUp(self) -> None:
        temporary = tempfile.TemporaryDirectory()
        self.addCleanup(temporary.cleanup)
        self.root = Path(temporary.name)
        infrastructure = self.root / "infrastructure"
        shutil.copytree(KUBERNETES, infrastructure / "kubernetes", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(INFRASTRUCTURE / "terraform" / "environments", infrastructure / "terraform" / "environments")
        shutil.copy(INFRASTRUCTURE / "terraform" / "variables.tf", infrastructure / "terraform" / "variables.tf")
        chart = infrastructure / "helm" / "nexafi-financial-services"
        chart.mkdir(parents=True)
        for values in ("values-prod.yaml", "values-dr.yaml"):
            shutil.copy(vpc_ranges.CHART / values, chart / values)

        patches = {
            "KUBERNETES": infrastructure / "kubernetes",
            "INFRASTRUCTURE": infrastructure,
            "ENVIRONMENTS": infrastructure / "terraform" / "environments",
            "VARIABLES": infrastructure / "terraform" / "variables.tf",
            "CHART": chart,
        }
        for name, value in patches.items():
            self.addCleanup(setattr, vpc_ranges, name, getattr(vpc_ranges, name))
            setattr(vpc_ranges, name, value)
        self.kubernetes = infrastructure / "kubernetes"
        self.environments = infrastructure / "terraform" / "environments"

    def run_main(self, *arguments: str) -> tuple[int, str]:
        """Run the command line and return its exit status and standard error."""
        stderr = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            status = vpc_ranges.main(["vpc_ranges.py", *arguments])
        return status, stderr.getvalue()

    def render(self, environment: str, region: str) -> Path:
        """Render one environment and region and return the output directory."""
        out_dir = self.root / f"{environment}-{region}"
        status, stderr = self.run_main("render", environment, region, str(out_dir))
        self.assertEqual(status, 0, stderr)
        return out_dir

    def add_manifest(self, text: str) -> Path:
        """Write an extra manifest into the copied kubernetes/."""
        path = self.kubernetes / "backup-recovery" / "extra.yaml"
        path.write_text(text, "utf-8")
        return path


def documents(path: Path) -> list[dict]:
    """Parse every YAML document of a rendered file."""
    return [document for document in yaml.safe_load_all(path.read_text("utf-8")) if document]


def by_kind(path: Path, kind: str) -> dict:
    """Return the only document of one kind in a file."""
    found = [document for document in documents(path) if document["kind"] == kind]
    assert len(found) == 1, f"{path} has {len(found)} documents of kind {kind}"
    return found[0]


def container_env(cronjob: dict, variable: str) -> str:
    """Return the value of one environment variable of the first container of a CronJob."""
    containers = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    values = [item["value"] for container in containers for item in container.get("env", []) if item["name"] == variable]
    assert len(values) == 1, f"{variable} is set {len(values)} times"
    return values[0]


def files_containing(out_dir: Path, text: str) -> set[str]:
    """Return the rendered files, relative to out_dir, that contain text."""
    return {
        path.relative_to(out_dir).as_posix() for path in out_dir.rglob("*.yaml") if text in path.read_text("utf-8")
    }


class RenderNames(RepositoryCopy):
    """Names and regions in rendered copies."""

    def test_prod_primary_identical(self) -> None:
        out_dir = self.render("prod", "primary")
        sources = vpc_ranges.manifests()
        self.assertGreater(len(sources), 0)
        for source in sources:
            rendered = out_dir / source.relative_to(self.kubernetes)
            self.assertEqual(rendered.read_text("utf-8"), source.read_text("utf-8"), str(rendered))

    def test_staging_primary_names(self) -> None:
        out_dir = self.render("staging", "primary")
        self.assertEqual(files_containing(out_dir, "nexafi-prod"), set())

        location = by_kind(out_dir / "backup-recovery" / "velero-schedules.yaml", "BackupStorageLocation")
        self.assertEqual(location["spec"]["objectStorage"]["bucket"], "nexafi-staging-velero")
        self.assertEqual(location["spec"]["objectStorage"]["prefix"], "eks/nexafi-staging")
        self.assertEqual(location["spec"]["config"]["kmsKeyId"], "alias/nexafi-staging-backup")
        self.assertEqual(location["spec"]["config"]["region"], "eu-west-1")

        snapshot = out_dir / "backup-recovery" / "vault-raft-snapshot.yaml"
        self.assertIn("s3://nexafi-staging-vault-snapshots/raft/", snapshot.read_text("utf-8"))
        self.assertIn("alias/nexafi-staging-backup", snapshot.read_text("utf-8"))

        exporter = (out_dir / "monitoring" / "cloudwatch-exporter.yaml").read_text("utf-8")
        self.assertIn("value: nexafi-staging-public", exporter)
        self.assertIn("value: nexafi-staging-guardduty-high", exporter)

        values = yaml.safe_load((out_dir / "monitoring" / "kube-prometheus-stack-values.yaml").read_text("utf-8"))
        self.assertEqual(values["prometheus"]["prometheusSpec"]["externalLabels"]["cluster"], "nexafi-staging")

    def test_dev_primary_names(self) -> None:
        out_dir = self.render("dev", "primary")
        self.assertEqual(files_containing(out_dir, "nexafi-prod"), set())
        location = by_kind(out_dir / "backup-recovery" / "velero-schedules.yaml", "BackupStorageLocation")
        self.assertEqual(location["spec"]["objectStorage"]["bucket"], "nexafi-dev-velero")
        rules = (out_dir / "monitoring" / "generated" / "prometheusrule-security.yaml").read_text("utf-8")
        self.assertIn('dimension_RuleName="nexafi-dev-guardduty-high"', rules)

    def test_prod_dr_uses_replicas(self) -> None:
        out_dir = self.render("prod", "dr")
        schedules = out_dir / "backup-recovery" / "velero-schedules.yaml"
        location = by_kind(schedules, "BackupStorageLocation")
        self.assertEqual(location["spec"]["objectStorage"]["bucket"], "nexafi-prod-velero-dr")
        self.assertEqual(location["spec"]["objectStorage"]["prefix"], "eks/nexafi-prod")
        self.assertEqual(location["spec"]["config"]["region"], "eu-central-1")
        self.assertEqual(location["spec"]["config"]["kmsKeyId"], "alias/nexafi-prod-backup")
        self.assertEqual(by_kind(schedules, "VolumeSnapshotLocation")["spec"]["config"]["region"], "eu-central-1")

        snapshot = out_dir / "backup-recovery" / "vault-raft-snapshot.yaml"
        self.assertIn("s3://nexafi-prod-vault-snapshots-dr/raft/", snapshot.read_text("utf-8"))
        self.assertEqual(container_env(by_kind(snapshot, "CronJob"), "AWS_REGION"), "eu-central-1")

    def test_prod_dr_writers_off(self) -> None:
        out_dir = self.render("prod", "dr")
        schedules = out_dir / "backup-recovery" / "velero-schedules.yaml"
        self.assertEqual(by_kind(schedules, "BackupStorageLocation")["spec"]["accessMode"], "ReadOnly")
        paused = [document["spec"].get("paused") for document in documents(schedules) if document["kind"] == "Schedule"]
        self.assertGreater(len(paused), 0)
        self.assertEqual(set(paused), {True})
        snapshot = by_kind(out_dir / "backup-recovery" / "vault-raft-snapshot.yaml", "CronJob")
        self.assertIs(snapshot["spec"]["suspend"], True)

    def test_primary_writers_on(self) -> None:
        out_dir = self.render("staging", "primary")
        schedules = out_dir / "backup-recovery" / "velero-schedules.yaml"
        self.assertEqual(by_kind(schedules, "BackupStorageLocation")["spec"]["accessMode"], "ReadWrite")
        paused = [document["spec"].get("paused") for document in documents(schedules) if document["kind"] == "Schedule"]
        self.assertEqual(set(paused), {None})
        snapshot = by_kind(out_dir / "backup-recovery" / "vault-raft-snapshot.yaml", "CronJob")
        self.assertNotIn("suspend", snapshot["spec"])

    def test_prod_dr_primary_region_left(self) -> None:
        out_dir = self.render("prod", "dr")
        # The web ACL and the EventBridge rule exist in the primary region only, and the
        # admission policy admits images from the ECR registries of both regions.
        self.assertEqual(
            files_containing(out_dir, "eu-west-1"),
            {"monitoring/cloudwatch-exporter.yaml", "security/admission-policies.yaml"},
        )
        policy = (out_dir / "security" / "admission-policies.yaml").read_text("utf-8")
        self.assertIn(r"\.(eu-west-1|eu-central-1)\.", policy)

    def test_bucket_prefix_from_tfvars(self) -> None:
        staging = self.environments / "staging.tfvars"
        staging.write_text(staging.read_text("utf-8") + '\nbucket_name_prefix = "example-staging"\n', "utf-8")
        out_dir = self.render("staging", "dr")
        location = by_kind(out_dir / "backup-recovery" / "velero-schedules.yaml", "BackupStorageLocation")
        self.assertEqual(location["spec"]["objectStorage"]["bucket"], "example-staging-velero-dr")
        self.assertEqual(location["spec"]["objectStorage"]["prefix"], "eks/nexafi-staging")
        self.assertEqual(location["spec"]["config"]["kmsKeyId"], "alias/nexafi-staging-backup")

    def test_region_from_tfvars(self) -> None:
        dev = self.environments / "dev.tfvars"
        dev.write_text(dev.read_text("utf-8") + '\ndr_region = "eu-north-1"\n', "utf-8")
        out_dir = self.render("dev", "dr")
        location = by_kind(out_dir / "backup-recovery" / "velero-schedules.yaml", "BackupStorageLocation")
        self.assertEqual(location["spec"]["config"]["region"], "eu-north-1")
        policy = (out_dir / "security" / "admission-policies.yaml").read_text("utf-8")
        self.assertIn(r"\.(eu-west-1|eu-north-1)\.", policy)
        exporter = (out_dir / "monitoring" / "cloudwatch-exporter.yaml").read_text("utf-8")
        self.assertIn("sts-region: eu-west-1", exporter)
        self.assertNotIn("eu-central-1", exporter)


class UnknownNames(RepositoryCopy):
    """Prod names and zones that render cannot rewrite."""

    def test_check_passes_on_repository(self) -> None:
        status, stderr = self.run_main("check")
        self.assertEqual(status, 0, stderr)

    def test_check_rejects_unknown_name(self) -> None:
        self.add_manifest("# Archive bucket: nexafi-prod-audit-archive\n")
        status, stderr = self.run_main("check")
        self.assertEqual(status, 1)
        self.assertIn("backup-recovery/extra.yaml:1: nexafi-prod-audit-archive", stderr)

    def test_check_rejects_zone(self) -> None:
        self.add_manifest("zone: eu-west-1a\n")
        status, stderr = self.run_main("check")
        self.assertEqual(status, 1)
        self.assertIn("extra.yaml:1: eu-west-1a", stderr)

    def test_check_ignores_other_prefix(self) -> None:
        self.add_manifest("bucket: nexafi-production-notes\nname: nexafi-prod\n")
        status, stderr = self.run_main("check")
        self.assertEqual(status, 0, stderr)

    def test_render_writes_nothing_on_unknown(self) -> None:
        self.add_manifest("bucket: nexafi-prod-audit-archive\n")
        out_dir = self.root / "rejected"
        status, stderr = self.run_main("render", "staging", "primary", str(out_dir))
        self.assertEqual(status, 1)
        self.assertIn("nexafi-prod-audit-archive", stderr)
        self.assertFalse(out_dir.exists())


class NamingInputs(RepositoryCopy):
    """tfvars and variables.tf values that are missing or cannot be resolved."""

    def test_environment_missing(self) -> None:
        staging = self.environments / "staging.tfvars"
        staging.write_text(staging.read_text("utf-8").replace('environment = "staging"', ""), "utf-8")
        status, stderr = self.run_main("check")
        self.assertEqual(status, 1)
        self.assertIn("staging.tfvars: environment is missing", stderr)

    def test_region_unresolvable(self) -> None:
        variables = vpc_ranges.VARIABLES
        variables.write_text(variables.read_text("utf-8").replace('default     = "eu-central-1"', ""), "utf-8")
        status, stderr = self.run_main("render", "dev", "dr", str(self.root / "out"))
        self.assertEqual(status, 1)
        self.assertIn("variable dr_region has no string default", stderr)

    def test_unknown_environment(self) -> None:
        status, stderr = self.run_main("render", "qa", "primary", str(self.root / "out"))
        self.assertEqual(status, 1)
        self.assertIn("qa.tfvars not found", stderr)

    def test_usage_error(self) -> None:
        status, _ = self.run_main("render", "dev")
        self.assertEqual(status, 2)


if __name__ == "__main__":
    unittest.main()

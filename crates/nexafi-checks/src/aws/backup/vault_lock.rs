use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    format_number,
};

use crate::Check;
use crate::aws::support::as_number;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-BACKUP-003",
        slug: "backup-vault-unlocked",
        title: "AWS Backup vaults are locked with a minimum retention",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_backup_vault"],
        categories: &["backup", "log-integrity"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/backup_vault_lock_configuration",
        ],
        docs: CheckDocs {
            what: "For every `aws_backup_vault`, looks for an \
                   `aws_backup_vault_lock_configuration` that names it, through a reference \
                   (`backup_vault_name = aws_backup_vault.x.name`) or the same literal name. \
                   It fails when there is none, or when the lock sets no `min_retention_days`, \
                   and is unknown when `min_retention_days` is unknown offline. The message \
                   tells whether the lock is in compliance mode (`changeable_for_days` set), \
                   which nobody can remove once its grace period ends, or in governance mode, \
                   which principals with the right IAM permissions can remove.",
            why: "Ransomware operators and malicious insiders delete backups before they \
                  encrypt or destroy the primary data. A vault lock makes AWS Backup reject \
                  the deletion of recovery points younger than the minimum retention, even \
                  by the root user in compliance mode, so the last line of recovery cannot be \
                  erased with stolen credentials. Immutable backups are what the FFIEC and \
                  the GLBA Safeguards Rule mean by protecting backup integrity.",
            fix: "Lock every vault that holds production recovery points:\n\n```hcl\nresource \
                  \"aws_backup_vault_lock_configuration\" \"ledger\" {\n  backup_vault_name   \
                  = aws_backup_vault.ledger.name\n  min_retention_days  = 35\n  \
                  max_retention_days  = 2922\n  changeable_for_days = 3\n}\n```\n\nTest the \
                  lock in governance mode first: after the grace period a compliance-mode \
                  lock cannot be changed or removed.",
            limitations: "Governance-mode locks pass, although privileged principals can \
                          remove them. A lock that names a vault by a computed value other \
                          than a reference to the vault is not matched. Logically air-gapped \
                          vaults are locked by design and are not evaluated.",
        },
    },
    cases: include_str!("vault_lock.cases.yaml"),
    evaluate,
};

const LOCK: &str = "aws_backup_vault_lock_configuration";

fn evaluate(vault: &Resource, model: &Model) -> Vec<Evaluation> {
    let locks = vault_locks(vault, model);
    if locks.is_empty() {
        return vec![
            Evaluation::fail(
                vault.name_span,
                format!(
                    "no `{LOCK}` locks {}, so its recovery points can be deleted by anyone with \
                     backup permissions; add a lock with `min_retention_days`",
                    vault.address
                ),
            )
            .attribute(LOCK)
            .expected("a vault lock with min_retention_days")
            .found("missing"),
        ];
    }

    let evaluations: Vec<Evaluation> = locks.iter().map(|lock| evaluate_lock(lock)).collect();
    let best = evaluations
        .iter()
        .find(|evaluation| evaluation.verdict == nexafi_model::Verdict::Pass)
        .or_else(|| {
            evaluations
                .iter()
                .find(|evaluation| evaluation.verdict == nexafi_model::Verdict::Unknown)
        })
        .or(evaluations.first());
    best.cloned().into_iter().collect()
}

/// Returns the lock configurations that name `vault`, by reference or by literal name.
fn vault_locks<'a>(vault: &'a Resource, model: &'a Model) -> Vec<&'a Resource> {
    let mut locks: Vec<&Resource> = model.referrers(vault, LOCK).collect();
    if let Lookup::Present(name) = vault.body.lookup("name")
        && let Some(name) = name.as_str()
    {
        for lock in model.in_group(vault, LOCK) {
            let same_name = matches!(
                lock.body.lookup("backup_vault_name"),
                Lookup::Present(node) if node.as_str() == Some(name)
            );
            if same_name && !locks.iter().any(|known| std::ptr::eq(*known, lock)) {
                locks.push(lock);
            }
        }
    }
    locks
}

fn evaluate_lock(lock: &Resource) -> Evaluation {
    const PATH: &str = "min_retention_days";
    let mode = if lock.body.lookup("changeable_for_days").is_missing() {
        "governance mode: principals with IAM permission can still remove the lock"
    } else {
        "compliance mode once `changeable_for_days` passes"
    };
    match lock.body.lookup(PATH) {
        Lookup::Present(node) => match as_number(node) {
            Some(days) if days >= 1.0 => Evaluation::pass(
                node.span,
                format!(
                    "{} keeps recovery points at least {} days ({mode})",
                    lock.address,
                    format_number(days)
                ),
            )
            .attribute(PATH),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "`min_retention_days` of {} is {}; set it to the shortest retention of \
                     the plans that use the vault",
                    lock.address,
                    node.display()
                ),
            )
            .attribute(PATH)
            .expected(">= 1")
            .found(node.display()),
        },
        Lookup::Unknown(unknown_value, span) => Evaluation::unknown(
            span,
            format!(
                "`min_retention_days` of {} cannot be known offline: {}",
                lock.address, unknown_value.reason
            ),
        )
        .attribute(PATH),
        Lookup::Missing => Evaluation::fail(
            lock.name_span,
            format!(
                "{} sets no `min_retention_days`, so recovery points can still be deleted at \
                 any age; set it to the shortest retention of the plans that use the vault",
                lock.address
            ),
        )
        .attribute(PATH)
        .expected(">= 1")
        .found("omitted"),
    }
}

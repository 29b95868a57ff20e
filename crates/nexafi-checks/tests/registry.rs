//! Fails any check whose declaration is incomplete: the metadata every surface
//! (`checks explain`, reports, docs) is generated from must be there and valid.

use std::collections::{BTreeMap, HashSet};

use nexafi_checks::all;
use serde::Deserialize;

#[derive(Deserialize)]
struct CasesFile {
    cases: Vec<CaseClassOnly>,
}

#[derive(Deserialize)]
struct CaseClassOnly {
    class: String,
}

#[test]
fn registry_has_sixty_checks() {
    assert!(
        all().len() >= 60,
        "only {} checks are registered",
        all().len()
    );
}

#[test]
fn ids_slugs_unique() {
    let mut ids = HashSet::new();
    let mut slugs = HashSet::new();
    for check in all() {
        assert!(ids.insert(check.meta.id), "duplicate id {}", check.meta.id);
        assert!(
            slugs.insert(check.meta.slug),
            "duplicate slug {}",
            check.meta.slug
        );
    }
}

#[test]
fn ids_follow_pattern() {
    for check in all() {
        let id = check.meta.id;
        let parts: Vec<&str> = id.split('-').collect();
        assert!(
            parts.len() >= 3 && parts[0] == "NXF",
            "{id}: ids look like NXF-AWS-S3-001"
        );
        assert!(
            parts
                .last()
                .is_some_and(|n| n.len() == 3 && n.chars().all(|c| c.is_ascii_digit())),
            "{id}: ids end in a three-digit number"
        );
        assert!(
            check
                .meta
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}: slug {:?} is not kebab-case",
            check.meta.slug
        );
    }
}

#[test]
fn docs_sections_present() {
    for check in all() {
        let meta = &check.meta;
        let docs = meta.docs;
        for (section, text) in [
            ("title", meta.title),
            ("what", docs.what),
            ("why", docs.why),
            ("fix", docs.fix),
            ("limitations", docs.limitations),
        ] {
            assert!(
                text.trim().len() >= 10,
                "{}: documentation section {section} is missing",
                meta.id
            );
        }
        assert!(!meta.kinds.is_empty(), "{}: no resource kinds", meta.id);
    }
}

#[test]
fn categories_exist_in_catalog() {
    let catalog = nexafi_compliance::catalog();
    for check in all() {
        assert!(
            !check.meta.categories.is_empty(),
            "{}: no categories",
            check.meta.id
        );
        for category in check.meta.categories {
            assert!(
                catalog.category(category).is_some(),
                "{}: category {category} is not in the catalog",
                check.meta.id
            );
        }
        for control in check.meta.extra_controls {
            let (framework, id) = control.split_once(':').unwrap_or(("", control));
            assert!(
                catalog.control(framework, id).is_some(),
                "{}: control {control} is not in the catalog",
                check.meta.id
            );
        }
    }
}

#[test]
fn cases_cover_each_class() {
    for check in all() {
        let file: CasesFile = match serde_saphyr::from_str(check.cases) {
            Ok(file) => file,
            Err(error) => panic!("{}: cases file is invalid: {error}", check.meta.id),
        };
        let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
        for case in &file.cases {
            *classes.entry(case.class.as_str()).or_default() += 1;
        }
        let mut required = vec!["pass", "fail", "omitted"];
        // Every Terraform attribute can come from a variable without a value.
        if check.meta.input == nexafi_model::InputKind::Terraform {
            required.push("unknown");
        }
        for class in required {
            assert!(
                classes.contains_key(class),
                "{}: the cases file has no {class} case",
                check.meta.id
            );
        }
    }
}

//! The control catalog: frameworks, their controls, and the check categories that map
//! to them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

/// The catalog data, compiled into the binary.
const EMBEDDED_CATALOG: &str = include_str!("../data/catalog.yaml");

/// Name of the embedded catalog in error messages.
const EMBEDDED_ORIGIN: &str = "nexafi-compliance/data/catalog.yaml (embedded)";

/// The `schema_version` this code reads.
const SUPPORTED_SCHEMA_VERSION: u32 = 1;

/// Every framework id of the catalog, in the order reports list them.
pub const FRAMEWORK_IDS: [&str; 8] = [
    "pci_dss",
    "soc2",
    "gdpr",
    "sox_itgc",
    "glba",
    "ffiec",
    "nist_csf_2",
    "ffiec_cat_legacy",
];

/// Frameworks reported when the user names none: the six regulations nexafi targets.
/// NIST CSF 2.0 and the retired FFIEC CAT are available on request.
pub const DEFAULT_FRAMEWORKS: [&str; 6] = ["pci_dss", "soc2", "gdpr", "sox_itgc", "glba", "ffiec"];

/// Other names accepted for framework ids, after [`normalize_framework_name`].
const FRAMEWORK_ALIASES: &[(&str, &str)] = &[
    ("pci", "pci_dss"),
    ("pcidss", "pci_dss"),
    ("soc_2", "soc2"),
    ("sox", "sox_itgc"),
    ("itgc", "sox_itgc"),
    ("nist_csf", "nist_csf_2"),
    ("nist_csf_2_0", "nist_csf_2"),
    ("csf", "nist_csf_2"),
    ("csf_2", "nist_csf_2"),
    ("ffiec_cat", "ffiec_cat_legacy"),
];

/// Short framework names for one-line listings, where the catalog's full names are too
/// long.
const FRAMEWORK_SHORT_NAMES: &[(&str, &str)] = &[
    ("pci_dss", "PCI DSS"),
    ("soc2", "SOC 2"),
    ("gdpr", "GDPR"),
    ("sox_itgc", "SOX ITGC"),
    ("glba", "GLBA"),
    ("ffiec", "FFIEC"),
    ("nist_csf_2", "NIST CSF 2.0"),
    ("ffiec_cat_legacy", "FFIEC CAT"),
];

/// The parsed catalog.
#[derive(Debug)]
pub struct Catalog {
    /// In the order of [`FRAMEWORK_IDS`].
    frameworks: Vec<Framework>,
    categories: Vec<Category>,
    /// Category id to its index in `categories`.
    category_index: BTreeMap<String, usize>,
}

/// A compliance framework and the controls of it that the catalog tracks.
#[derive(Clone, Debug)]
pub struct Framework {
    /// Stable id used in configuration, reports and `framework:control` references.
    pub id: String,
    pub name: String,
    pub version: String,
    pub notes: Option<String>,
    /// In the framework's own order.
    pub controls: Vec<Control>,
}

impl Framework {
    /// Returns the name used where space is short: `PCI DSS`, `SOC 2`, `NIST CSF 2.0`.
    pub fn short_name(&self) -> &str {
        FRAMEWORK_SHORT_NAMES
            .iter()
            .find(|(id, _)| *id == self.id)
            .map_or(self.name.as_str(), |(_, short)| short)
    }
}

/// One control (requirement, criterion, article or paragraph) of a framework.
#[derive(Clone, Debug, Deserialize)]
pub struct Control {
    /// The framework's own identifier: `3.5.1`, `CC6.1`, `32(1)(a)`, `314.4(c)(3)`.
    pub id: String,
    /// A short summary written for this project, not the standard's wording.
    pub title: String,
    #[serde(default)]
    pub evidenced_by: Evidence,
}

/// The check categories that give evidence for a control.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Evidence {
    /// Categories whose passing checks are direct evidence for the technical part of
    /// the control.
    #[serde(default)]
    pub primary: Vec<String>,
    /// Categories whose checks contribute evidence, while the control also needs process,
    /// people or other technical evidence.
    #[serde(default)]
    pub supporting: Vec<String>,
}

/// A technical check category. Checks declare categories, and categories map to controls.
#[derive(Clone, Debug, Deserialize)]
pub struct Category {
    /// Kebab-case id that checks declare: `enc-at-rest`.
    pub id: String,
    pub title: String,
    /// The resources and settings that checks of this category read.
    pub verifies: String,
    /// Controls the category gives primary evidence for.
    pub controls: Vec<ControlRef>,
    /// Controls the category gives supporting evidence for.
    #[serde(default)]
    pub supporting: Vec<ControlRef>,
}

/// A reference to a control of a framework, written `framework:control` (`pci_dss:3.5.1`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ControlRef {
    pub framework: String,
    pub control: String,
}

impl ControlRef {
    /// Parses `framework:control`; the control id may itself contain colons.
    pub fn parse(text: &str) -> Option<Self> {
        let (framework, control) = text.split_once(':')?;
        if framework.is_empty() || control.is_empty() {
            return None;
        }
        Some(Self {
            framework: framework.to_owned(),
            control: control.to_owned(),
        })
    }
}

impl TryFrom<String> for ControlRef {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or_else(|| {
            format!("invalid control reference {text:?}: expected framework:control, as in pci_dss:3.5.1")
        })
    }
}

impl fmt::Display for ControlRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.framework, self.control)
    }
}

/// An error that makes a catalog unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("invalid control catalog {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("invalid control catalog {origin}: {}", problems.join("; "))]
    Invalid {
        origin: String,
        problems: Vec<String>,
    },
}

/// A framework name that is neither an id nor an alias of one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown framework {name:?}: valid ids are {valid} (aliases such as pci, sox and nist-csf work too)"
)]
pub struct UnknownFramework {
    pub name: String,
    /// The valid ids, comma-separated.
    pub valid: String,
}

/// The catalog file as written, before validation.
#[derive(Deserialize)]
struct RawCatalog {
    schema_version: u32,
    frameworks: BTreeMap<String, RawFramework>,
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct RawFramework {
    name: String,
    version: String,
    #[serde(default)]
    notes: Option<String>,
    controls: Vec<Control>,
}

static EMPTY_CATALOG: Catalog = Catalog {
    frameworks: Vec::new(),
    categories: Vec::new(),
    category_index: BTreeMap::new(),
};

/// Parses the embedded catalog on first use and returns it, or why it is invalid.
///
/// The embedded data is tested, so an error here is a bug in the build. Programs call
/// this once at startup and stop on an error, so that [`catalog`] never has to fall back.
pub fn load() -> Result<&'static Catalog, CatalogError> {
    static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::from_yaml(EMBEDDED_ORIGIN, EMBEDDED_CATALOG))
        .as_ref()
        .map_err(Clone::clone)
}

/// Returns the embedded catalog.
///
/// When the embedded data is invalid this returns an empty catalog, in which every
/// lookup fails and no framework exists. [`load`] returns the error itself.
pub fn catalog() -> &'static Catalog {
    load().unwrap_or(&EMPTY_CATALOG)
}

/// Lowercases a framework name and turns `-`, `.` and spaces into `_`, so that `PCI-DSS`,
/// `pci dss` and `pci_dss` compare equal.
fn normalize_framework_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|character| match character {
            '-' | '.' | ' ' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

impl Catalog {
    /// Parses and validates a catalog. `origin` names the data in error messages.
    pub fn from_yaml(origin: &str, text: &str) -> Result<Self, CatalogError> {
        let raw: RawCatalog =
            serde_saphyr::from_str(text).map_err(|error| CatalogError::Parse {
                origin: origin.to_owned(),
                message: error.to_string(),
            })?;
        let invalid = |problems: Vec<String>| CatalogError::Invalid {
            origin: origin.to_owned(),
            problems,
        };

        if raw.schema_version != SUPPORTED_SCHEMA_VERSION {
            return Err(invalid(vec![format!(
                "unsupported schema_version {}: this build reads version {SUPPORTED_SCHEMA_VERSION}",
                raw.schema_version
            )]));
        }

        let mut problems = Vec::new();
        let mut raw_frameworks = raw.frameworks;
        let mut frameworks = Vec::with_capacity(FRAMEWORK_IDS.len());
        for id in FRAMEWORK_IDS {
            match raw_frameworks.remove(id) {
                Some(framework) => frameworks.push(Framework {
                    id: id.to_owned(),
                    name: framework.name,
                    version: framework.version,
                    notes: framework.notes,
                    controls: framework.controls,
                }),
                None => problems.push(format!("framework {id} is missing")),
            }
        }
        for id in raw_frameworks.keys() {
            problems.push(format!(
                "framework {id} is not one of {}: add it to FRAMEWORK_IDS in src/catalog.rs",
                FRAMEWORK_IDS.join(", ")
            ));
        }

        let mut category_index = BTreeMap::new();
        for (index, category) in raw.categories.iter().enumerate() {
            if category_index.insert(category.id.clone(), index).is_some() {
                problems.push(format!("category {} is defined twice", category.id));
            }
        }

        let catalog = Self {
            frameworks,
            categories: raw.categories,
            category_index,
        };
        problems.extend(catalog.consistency_problems());
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err(invalid(problems))
        }
    }

    /// Lists every reference that points nowhere and every mapping that the control list
    /// and the category list state differently. The catalog writes each mapping twice (on
    /// the control and on the category) so that both views read well, and both must agree.
    fn consistency_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();

        // (framework, control, category) triples as the framework lists state them.
        let mut primary_by_control = BTreeSet::new();
        let mut supporting_by_control = BTreeSet::new();
        for framework in &self.frameworks {
            let mut seen = BTreeSet::new();
            for control in &framework.controls {
                if !seen.insert(control.id.as_str()) {
                    problems.push(format!(
                        "control {}:{} is defined twice",
                        framework.id, control.id
                    ));
                }
                let levels = [
                    (&control.evidenced_by.primary, &mut primary_by_control),
                    (&control.evidenced_by.supporting, &mut supporting_by_control),
                ];
                for (categories, triples) in levels {
                    for category in categories {
                        if self.category(category).is_none() {
                            problems.push(format!(
                                "control {}:{} names category {category}, which is not defined",
                                framework.id, control.id
                            ));
                        }
                        triples.insert((
                            framework.id.as_str(),
                            control.id.as_str(),
                            category.as_str(),
                        ));
                    }
                }
            }
        }

        // The same triples as the categories state them.
        let mut primary_by_category = BTreeSet::new();
        let mut supporting_by_category = BTreeSet::new();
        for category in &self.categories {
            let levels = [
                (&category.controls, &mut primary_by_category),
                (&category.supporting, &mut supporting_by_category),
            ];
            for (references, triples) in levels {
                for reference in references {
                    if self
                        .control(&reference.framework, &reference.control)
                        .is_none()
                    {
                        problems.push(format!(
                            "category {} names control {reference}, which is not defined",
                            category.id
                        ));
                    }
                    triples.insert((
                        reference.framework.as_str(),
                        reference.control.as_str(),
                        category.id.as_str(),
                    ));
                }
            }
        }

        for (level, by_control, by_category) in [
            ("primary", &primary_by_control, &primary_by_category),
            (
                "supporting",
                &supporting_by_control,
                &supporting_by_category,
            ),
        ] {
            for (framework, control, category) in by_control.difference(by_category) {
                problems.push(format!(
                    "control {framework}:{control} lists {category} as {level} evidence, \
                     but category {category} does not list the control"
                ));
            }
            for (framework, control, category) in by_category.difference(by_control) {
                problems.push(format!(
                    "category {category} lists {framework}:{control} as {level} evidence, \
                     but the control does not list the category"
                ));
            }
        }
        problems
    }

    /// Returns the frameworks in report order: PCI DSS, SOC 2, GDPR, SOX ITGC, GLBA,
    /// FFIEC, NIST CSF 2.0, FFIEC CAT (retired).
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    /// Finds a framework by id or alias (`pci`, `PCI-DSS`, `soc-2`, `sox`, `nist-csf`),
    /// ignoring case.
    pub fn framework(&self, name: &str) -> Result<&Framework, UnknownFramework> {
        let normalized = normalize_framework_name(name);
        let id = FRAMEWORK_ALIASES
            .iter()
            .find(|(alias, _)| *alias == normalized)
            .map_or(normalized.as_str(), |(_, id)| id);
        self.frameworks
            .iter()
            .find(|framework| framework.id == id)
            .ok_or_else(|| UnknownFramework {
                name: name.to_owned(),
                valid: self
                    .frameworks
                    .iter()
                    .map(|framework| framework.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.category_index
            .get(id)
            .and_then(|index| self.categories.get(*index))
    }

    /// Finds a control by framework id (not an alias) and control id.
    pub fn control(&self, framework: &str, id: &str) -> Option<&Control> {
        self.frameworks
            .iter()
            .find(|candidate| candidate.id == framework)?
            .controls
            .iter()
            .find(|control| control.id == id)
    }

    /// Returns the position of a control in its framework's list, used to sort control
    /// ids in the framework's own order.
    pub(crate) fn control_position(&self, framework: &str, id: &str) -> Option<usize> {
        self.frameworks
            .iter()
            .find(|candidate| candidate.id == framework)?
            .controls
            .iter()
            .position(|control| control.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a small valid catalog with all eight frameworks, for tests that break it.
    pub(crate) fn small_catalog_yaml() -> String {
        let mut text = String::from("schema_version: 1\nframeworks:\n");
        for id in FRAMEWORK_IDS {
            text.push_str(&format!(
                "  {id}:\n    name: {id} name\n    version: '1'\n    controls:\n"
            ));
            text.push_str("    - id: C1\n      title: First\n");
            if id == "pci_dss" {
                text.push_str("      evidenced_by:\n        primary: [enc]\n");
            }
        }
        text.push_str(
            "categories:\n- id: enc\n  title: Encryption\n  verifies: volumes\n  controls: ['pci_dss:C1']\n",
        );
        text
    }

    #[test]
    fn embedded_catalog_parses() {
        let loaded = load();
        assert!(loaded.is_ok(), "{:?}", loaded.err());
    }

    #[test]
    fn embedded_catalog_has_every_framework() {
        let ids: Vec<&str> = catalog()
            .frameworks()
            .iter()
            .map(|framework| framework.id.as_str())
            .collect();
        assert_eq!(ids, FRAMEWORK_IDS);
    }

    #[test]
    fn embedded_frameworks_have_controls() {
        for framework in catalog().frameworks() {
            assert!(
                framework.controls.len() >= 10,
                "{} has only {} controls",
                framework.id,
                framework.controls.len()
            );
            assert!(!framework.name.is_empty(), "{} has no name", framework.id);
            assert!(
                !framework.version.is_empty(),
                "{} has no version",
                framework.id
            );
        }
    }

    #[test]
    fn category_controls_exist() {
        let catalog = catalog();
        assert!(catalog.categories().len() >= 40);
        for category in catalog.categories() {
            assert!(
                !category.controls.is_empty(),
                "category {} has no primary controls",
                category.id
            );
            for reference in category.controls.iter().chain(&category.supporting) {
                assert!(
                    catalog
                        .control(&reference.framework, &reference.control)
                        .is_some(),
                    "category {} names {reference}, which its framework does not list",
                    category.id
                );
            }
        }
    }

    #[test]
    fn control_categories_exist() {
        let catalog = catalog();
        for framework in catalog.frameworks() {
            for control in &framework.controls {
                let evidence = &control.evidenced_by;
                for category in evidence.primary.iter().chain(&evidence.supporting) {
                    assert!(
                        catalog.category(category).is_some(),
                        "{}:{} names unknown category {category}",
                        framework.id,
                        control.id
                    );
                }
            }
        }
    }

    #[test]
    fn lookup_known_control() {
        let control = catalog().control("pci_dss", "3.5.1");
        assert_eq!(control.map(|control| control.id.as_str()), Some("3.5.1"));
        assert!(catalog().control("pci_dss", "99.99").is_none());
        assert!(catalog().control("pci", "3.5.1").is_none());
    }

    #[test]
    fn lookup_known_category() {
        let category = catalog().category("enc-at-rest");
        let references: Vec<String> = category
            .map(|category| category.controls.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        assert!(references.contains(&"pci_dss:3.5.1".to_owned()));
        assert!(catalog().category("no-such-category").is_none());
    }

    #[test]
    fn framework_aliases_resolve() {
        let cases = [
            ("pci_dss", "pci_dss"),
            ("pci", "pci_dss"),
            ("PCI-DSS", "pci_dss"),
            ("soc2", "soc2"),
            ("soc-2", "soc2"),
            ("SOC 2", "soc2"),
            ("GDPR", "gdpr"),
            ("sox", "sox_itgc"),
            ("sox-itgc", "sox_itgc"),
            ("glba", "glba"),
            ("ffiec", "ffiec"),
            ("nist-csf", "nist_csf_2"),
            ("nist-csf-2.0", "nist_csf_2"),
            ("csf", "nist_csf_2"),
            ("ffiec-cat", "ffiec_cat_legacy"),
        ];
        for (name, expected) in cases {
            let id = catalog()
                .framework(name)
                .map(|framework| framework.id.as_str());
            assert_eq!(id, Ok(expected), "{name}");
        }
    }

    #[test]
    fn framework_unknown_lists_ids() {
        let error = catalog().framework("hipaa").err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(message.contains("\"hipaa\""), "{message}");
        assert!(message.contains("pci_dss, soc2, gdpr"), "{message}");
        assert!(message.contains("ffiec_cat_legacy"), "{message}");
    }

    #[test]
    fn short_names_cover_frameworks() {
        for id in FRAMEWORK_IDS {
            assert!(
                FRAMEWORK_SHORT_NAMES.iter().any(|(known, _)| *known == id),
                "{id} has no short name"
            );
        }
        let soc2 = catalog().framework("soc2").map(Framework::short_name);
        assert_eq!(soc2, Ok("SOC 2"));
    }

    #[test]
    fn default_frameworks_exist() {
        for id in DEFAULT_FRAMEWORKS {
            assert!(catalog().framework(id).is_ok(), "{id}");
        }
        assert_eq!(DEFAULT_FRAMEWORKS, FRAMEWORK_IDS[..6]);
    }

    #[test]
    fn control_ref_parses() {
        let reference = ControlRef::parse("gdpr:32(1)(a)");
        assert_eq!(
            reference
                .as_ref()
                .map(|r| (r.framework.as_str(), r.control.as_str())),
            Some(("gdpr", "32(1)(a)"))
        );
        assert!(ControlRef::parse("no-colon").is_none());
        assert!(ControlRef::parse(":3.5.1").is_none());
        assert!(ControlRef::parse("pci_dss:").is_none());
    }

    #[test]
    fn small_catalog_parses() {
        let parsed = Catalog::from_yaml("small.yaml", &small_catalog_yaml());
        assert!(parsed.is_ok(), "{:?}", parsed.err());
    }

    #[test]
    fn syntax_error_names_origin() {
        let error = Catalog::from_yaml("broken.yaml", "frameworks: [\n").err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(message.contains("broken.yaml"), "{message}");
    }

    #[test]
    fn dangling_reference_rejected() {
        let text = small_catalog_yaml().replace("'pci_dss:C1'", "'pci_dss:C9'");
        let error = Catalog::from_yaml("small.yaml", &text).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(
            message.contains("category enc names control pci_dss:C9, which is not defined"),
            "{message}"
        );
    }

    #[test]
    fn one_sided_mapping_rejected() {
        let text = small_catalog_yaml().replace("primary: [enc]", "primary: []");
        let error = Catalog::from_yaml("small.yaml", &text).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(
            message.contains("category enc lists pci_dss:C1 as primary evidence"),
            "{message}"
        );
    }

    #[test]
    fn missing_framework_rejected() {
        let text = small_catalog_yaml().replace("  glba:\n", "  hipaa:\n");
        let error = Catalog::from_yaml("small.yaml", &text).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(message.contains("framework glba is missing"), "{message}");
        assert!(
            message.contains("framework hipaa is not one of"),
            "{message}"
        );
    }

    #[test]
    fn malformed_reference_rejected() {
        let text = small_catalog_yaml().replace("'pci_dss:C1'", "'C1'");
        let error = Catalog::from_yaml("small.yaml", &text).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(message.contains("expected framework:control"), "{message}");
    }

    #[test]
    fn newer_schema_rejected() {
        let text = small_catalog_yaml().replace("schema_version: 1", "schema_version: 2");
        let error = Catalog::from_yaml("small.yaml", &text).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(
            message.contains("unsupported schema_version 2"),
            "{message}"
        );
    }
}

//! From a check's categories and extra controls to the controls it gives evidence for.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, ControlRef, catalog};

/// Control ids per framework id, each list in the framework's own order.
pub type ControlsByFramework = BTreeMap<String, Vec<String>>;

/// Returns the controls a check with these categories and extra controls gives primary
/// evidence for, from the embedded catalog. See [`Catalog::controls_for`].
pub fn controls_for(categories: &[&str], extra_controls: &[&str]) -> ControlsByFramework {
    catalog().controls_for(categories, extra_controls)
}

/// Returns the controls a check gives only supporting evidence for, from the embedded
/// catalog. See [`Catalog::supporting_controls_for`].
pub fn supporting_controls_for(
    categories: &[&str],
    extra_controls: &[&str],
) -> ControlsByFramework {
    catalog().supporting_controls_for(categories, extra_controls)
}

impl Catalog {
    /// Collects the controls a check gives primary evidence for: the `controls` of each of
    /// its categories plus its extra controls (`framework:control`).
    ///
    /// Unknown categories and extra controls that the catalog does not define are left
    /// out, because the checks crate's registry test rejects both. Each framework's list is
    /// deduplicated and sorted in the framework's own order (`3.5.1` before `10.2.1`).
    pub fn controls_for(
        &self,
        categories: &[&str],
        extra_controls: &[&str],
    ) -> ControlsByFramework {
        let primary = self.primary_references(categories, extra_controls);
        self.group_by_framework(primary)
    }

    /// Collects the controls a check gives supporting evidence for: the `supporting`
    /// references of its categories, less every control it already gives primary evidence
    /// for. A control with only supporting evidence stays `manual` in reports.
    pub fn supporting_controls_for(
        &self,
        categories: &[&str],
        extra_controls: &[&str],
    ) -> ControlsByFramework {
        let primary = self.primary_references(categories, extra_controls);
        let supporting: BTreeSet<ControlRef> = categories
            .iter()
            .filter_map(|id| self.category(id))
            .flat_map(|category| category.supporting.iter().cloned())
            .filter(|reference| !primary.contains(reference))
            .collect();
        self.group_by_framework(supporting)
    }

    fn primary_references(
        &self,
        categories: &[&str],
        extra_controls: &[&str],
    ) -> BTreeSet<ControlRef> {
        let from_categories = categories
            .iter()
            .filter_map(|id| self.category(id))
            .flat_map(|category| category.controls.iter().cloned());
        let extra = extra_controls
            .iter()
            .filter_map(|text| ControlRef::parse(text))
            .filter(|reference| {
                self.control(&reference.framework, &reference.control)
                    .is_some()
            });
        from_categories.chain(extra).collect()
    }

    fn group_by_framework(&self, references: BTreeSet<ControlRef>) -> ControlsByFramework {
        let mut grouped: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
        for reference in references {
            let position = self
                .control_position(&reference.framework, &reference.control)
                .unwrap_or(usize::MAX);
            grouped
                .entry(reference.framework)
                .or_default()
                .push((position, reference.control));
        }
        grouped
            .into_iter()
            .map(|(framework, mut controls)| {
                controls.sort();
                let ids = controls.into_iter().map(|(_, id)| id).collect();
                (framework, ids)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_for_category() {
        let controls = controls_for(&["enc-at-rest"], &[]);
        assert_eq!(
            controls.get("pci_dss"),
            Some(&vec!["3.5.1".to_owned(), "3.6.1.2".to_owned()])
        );
        assert_eq!(
            controls.get("soc2"),
            Some(&vec!["CC6.1".to_owned(), "CC6.7".to_owned()])
        );
    }

    #[test]
    fn controls_for_merges_and_dedups() {
        // Both categories map to pci_dss:3.6.1.2 and soc2:CC6.1.
        let controls = controls_for(&["enc-at-rest", "kms-key-access"], &[]);
        let pci = controls.get("pci_dss").cloned().unwrap_or_default();
        assert_eq!(pci, vec!["3.5.1", "3.6.1", "3.6.1.2"]);
        let soc2 = controls.get("soc2").cloned().unwrap_or_default();
        assert_eq!(soc2, vec!["CC6.1", "CC6.7"]);
    }

    #[test]
    fn controls_for_framework_order() {
        // Text order would put 10.2.1 first; the framework lists 3.x before 10.x.
        let controls = controls_for(&["enc-at-rest"], &["pci_dss:10.2.1"]);
        let pci = controls.get("pci_dss").cloned().unwrap_or_default();
        assert_eq!(pci, vec!["3.5.1", "3.6.1.2", "10.2.1"]);
    }

    #[test]
    fn controls_for_adds_extra() {
        let controls = controls_for(&["key-rotation"], &["soc2:CC6.1"]);
        assert_eq!(controls.get("soc2"), Some(&vec!["CC6.1".to_owned()]));
    }

    #[test]
    fn controls_for_drops_unknown() {
        let controls = controls_for(&["no-such-category"], &["pci_dss:99.9", "garbage"]);
        assert!(controls.is_empty(), "{controls:?}");
    }

    #[test]
    fn supporting_excludes_primary() {
        // key-rotation supports soc2:CC6.1; the extra control makes it primary.
        let without_extra = supporting_controls_for(&["key-rotation"], &[]);
        assert_eq!(without_extra.get("soc2"), Some(&vec!["CC6.1".to_owned()]));
        let with_extra = supporting_controls_for(&["key-rotation"], &["soc2:CC6.1"]);
        assert_eq!(with_extra.get("soc2"), None);
    }

    #[test]
    fn supporting_lists_partial_evidence() {
        let supporting = supporting_controls_for(&["enc-at-rest"], &[]);
        let pci = supporting.get("pci_dss").cloned().unwrap_or_default();
        assert_eq!(pci, vec!["3.5.1.2", "3.5.1.3", "3.6.1.4"]);
    }
}

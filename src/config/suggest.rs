//! "Did you mean": the field name closest to an unknown key.

/// The candidate most similar to `key`, if it is similar enough to be a likely typo.
///
/// Similarity is Jaro-Winkler on the lowercased names, which rewards a shared start: `prot` ->
/// `port`, `pool_szie` -> `pool_size`, but `colour` does not suggest `timeout`.
pub(crate) fn closest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let key = key.to_lowercase();
    candidates
        .map(|candidate| {
            (
                strsim::jaro_winkler(&key, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn a_typo_finds_its_field_and_a_stranger_finds_none() {
        let fields = ["port", "pool_size", "timeout", "name"];
        assert_eq!(closest("prot", fields.into_iter()).as_deref(), Some("port"));
        assert_eq!(
            closest("pool_szie", fields.into_iter()).as_deref(),
            Some("pool_size")
        );
        assert_eq!(
            closest("Timeout", fields.into_iter()).as_deref(),
            Some("timeout")
        );
        assert_eq!(closest("colour", fields.into_iter()), None);
        assert_eq!(closest("x", std::iter::empty()), None);
    }
}

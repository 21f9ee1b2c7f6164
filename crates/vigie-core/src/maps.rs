//! Map look-ups on the per-reading path.

use std::collections::BTreeMap;

/// The value under `key`, made by `make` and inserted if missing. Unlike `entry`, clones the key
/// only when it inserts: a reading of a sensor already known allocates nothing here.
pub fn slot_with<'a, K: Ord + Clone, V>(map: &'a mut BTreeMap<K, V>, key: &K, make: impl FnOnce() -> V) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.clone(), make());
    }
    // Invariant: the key was there, or has just been inserted.
    map.get_mut(key).expect("the key was just inserted")
}

/// [`slot_with`] the value's default.
pub fn slot<'a, K: Ord + Clone, V: Default>(map: &'a mut BTreeMap<K, V>, key: &K) -> &'a mut V {
    slot_with(map, key, V::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_once_then_finds() {
        let mut map: BTreeMap<String, u32> = BTreeMap::new();
        *slot(&mut map, &"a".to_owned()) += 1;
        *slot_with(&mut map, &"a".to_owned(), || 100) += 1;
        *slot_with(&mut map, &"b".to_owned(), || 100) += 1;
        assert_eq!(map, BTreeMap::from([("a".to_owned(), 2), ("b".to_owned(), 101)]));
    }
}

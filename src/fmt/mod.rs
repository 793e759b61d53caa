//! `dnc fmt`: manifests and the config in one canonical layout.

pub mod modeline;

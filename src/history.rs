//! `dnc history` (in progress)

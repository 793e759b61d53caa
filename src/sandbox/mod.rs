//! `dnc sandbox`: the Convoso DNC API emulated on loopback over SQLite.

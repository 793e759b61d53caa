//! The entry rules dnc's core and its sandbox share: how a number is normalized (`phone`) and
//! what makes an entry one entry (`entry`: its scope and number).

pub mod entry;
pub mod phone;

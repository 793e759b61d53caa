//! The one builder of remote entries a sandbox starts with.

use dnc::sandbox::SeedEntry;

/// An entry for the sandbox's database: `seed(number, campaign)` has phone code 1, no reason
/// or purpose, and was inserted on 2020-03-03 (past any retention period); each method
/// changes one field.
#[derive(Clone, Debug)]
pub struct Seed(SeedEntry);

pub fn seed(number: &str, campaign_id: i64) -> Seed {
    Seed(SeedEntry {
        phone_code: 1,
        phone_number: number.to_string(),
        campaign_id,
        reason: None,
        purpose: None,
        insert_date: "2020-03-03 10:30:00".to_string(),
    })
}

impl Seed {
    pub fn reason(mut self, reason: &str) -> Seed {
        self.0.reason = Some(reason.to_string());
        self
    }

    pub fn purpose(mut self, purpose: &str) -> Seed {
        self.0.purpose = Some(purpose.to_string());
        self
    }

    pub fn code(mut self, phone_code: u16) -> Seed {
        self.0.phone_code = phone_code;
        self
    }

    /// Inserted at `date` (`YYYY-MM-DD hh:mm:ss`).
    pub fn at(mut self, date: &str) -> Seed {
        self.0.insert_date = date.to_string();
        self
    }
}

impl From<Seed> for SeedEntry {
    fn from(seed: Seed) -> SeedEntry {
        seed.0
    }
}

//! Campaigns as the API and the CLI change them. [`rules`]: what a campaign definition must
//! meet, checked alike for apply files and API requests.

pub mod rules;

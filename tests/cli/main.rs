//! Integration tests of the `outreachd` command line: each module runs the real binary against
//! a fresh SQLite file in a temp dir and checks what it prints and what it stored.

#[path = "../support/mod.rs"]
mod support;
use support::binary as helpers;

mod daemon;
mod ops;

mod apply;
mod classify;
mod demo;
mod errors;
mod explain;
mod import_leads;
mod lead;
mod logs;
mod mailbox;
mod plan;
mod privacy;
mod reload;
mod review;
mod sends;

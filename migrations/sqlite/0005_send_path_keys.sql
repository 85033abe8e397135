-- PostgreSQL's 0005 replaces three foreign keys on the send path with delete triggers; SQLite
-- keeps its keys (it checks them in-process, at no measurable cost). Kept so both backends share
-- version numbers.
SELECT 1;

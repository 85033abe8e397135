-- PostgreSQL's 0004 drops two redundant foreign keys and sets a fillfactor; SQLite checks no
-- foreign keys on the send path and has no fillfactor. Kept so both backends share version numbers.
SELECT 1;

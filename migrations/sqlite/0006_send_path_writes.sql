-- Nothing reads email_sends by message_id (inbound mail finds its send by the id inside the
-- Message-ID we made), and the index cost every send two entries. PostgreSQL's 0006 also
-- lowers campaign_leads' fillfactor, which SQLite does not have.
DROP INDEX email_sends_message_id;

-- Vigil schema, version 2: a batch's identity is (host, incarnation, seq).
--
-- An agent draws an incarnation when its state directory is created. One
-- whose state was lost (a reinstalled host, a fresh container) starts its
-- sequence numbers again under a new incarnation, and its batches must not be
-- taken for the ones stored under the old one. Batches of agents that send no
-- incarnation carry 0. The agent's uint64 is stored as its two's-complement
-- bigint, like seq.

ALTER TABLE vigil.batches ADD COLUMN incarnation bigint NOT NULL DEFAULT 0;
ALTER TABLE vigil.batches DROP CONSTRAINT batches_pkey;
ALTER TABLE vigil.batches ADD PRIMARY KEY (host_id, incarnation, seq);

-- The incarnation of the newest batch stored; last_seq counts within it.
ALTER TABLE vigil.hosts ADD COLUMN incarnation bigint NOT NULL DEFAULT 0;

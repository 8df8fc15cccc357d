-- Vigil schema: vigil.series is found by metric through a btree, not a hash.
--
-- Every row of a hash index with the same key lands in one bucket, and an
-- insert walks that bucket's whole chain of overflow pages for free space: a
-- metric on every host (cpu_percent on 10,000 hosts, one metric with many
-- label sets) made each new series slower than the last: 50,000 rows of one
-- metric took 0.41 s with 50,000 there, 1.63 s with 150,000. A btree keeps
-- duplicates compact and inserts in logarithmic time (0.10-0.12 s each).
-- Its entries are limited to about 2,700 bytes: the collector refuses a
-- metric name longer than 2,048 bytes before it reaches the database.

DROP INDEX vigil.series_metric_idx;
CREATE INDEX series_metric_idx ON vigil.series (metric);

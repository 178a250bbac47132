"""A second private cluster: first start, idempotent start, a stale pid file after a crash, stop."""

import psycopg

from gis.cluster import Cluster


def test_cluster_lifecycle(tmp_path):
    cluster = Cluster(tmp_path / "data")
    try:
        url = cluster.up()
        port = cluster.port
        assert cluster.running() and port and str(port) in url
        assert cluster.up() == url  # second start is a no-op
        cluster.stop()
        assert not cluster.running()
        # A crash leaves postmaster.pid behind, naming a process that is gone.
        (cluster.pgdata / "postmaster.pid").write_text("999999\n")
        cluster.up()
        assert cluster.running() and cluster.port == port
        with psycopg.connect(
            host=str(cluster.sockdir), port=port, user="ccgrid", password=cluster.password, dbname="ccgrid"
        ) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        cluster.destroy()
    assert not cluster.server_dir.exists() or cluster.server_dir == cluster.root

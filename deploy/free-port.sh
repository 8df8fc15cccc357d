# free-port.sh - sourced by the scripts that start servers on 127.0.0.1 (the
# demo, the private PostgreSQL clusters, the benchmarks).
#
# free_port prints a TCP port nothing listens on, chosen below the kernel's
# range of ephemeral ports: a port inside it can be taken as the local port of
# an outgoing connection between the choice and the bind (a benchmark's
# collector once failed to listen so, with "Address already in use").
free_port() {
    local lo base=10000 span p
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    span=$((lo - base))
    ((span >= 2000)) || { base=20000 span=10000; }
    p=$((base + RANDOM % span))
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

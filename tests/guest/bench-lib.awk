# Shared by the guest benchmarks' summaries (awk -f bench-lib.awk -e '...').

# median(" 3 1 2"): the median of a space-separated list of numbers, "-"
# when it is empty.
function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n == 0) return "-"
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# bench_fields(): the key=value fields of a `bench: ` line into v[].
function bench_fields(    i, kv) {
    delete v
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
}

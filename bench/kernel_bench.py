"""Kernel benchmark: start-up to first result, trivial-cell overhead, rendering a chart and a table.

Run through bench/run-kernel-bench (builds nothing; needs `mvn -DskipTests package` first).
Timings are wall-clock from the client's side over the real protocol (ZMQ).
"""
import statistics
import time

from jupyter_client.manager import start_new_kernel


def execute(kc, code, timeout=120):
    """Runs code; returns (seconds until idle, output messages)."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        if msg["msg_type"] == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))
        outputs.append(msg)
    kc.get_shell_msg(timeout=timeout)
    return time.perf_counter() - start, outputs


def median_ms(kc, code, runs):
    return statistics.median(execute(kc, code)[0] for _ in range(runs)) * 1000


def main():
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="tunelab", startup_timeout=120)
    execute(kc, "1 + 1")
    startup = time.perf_counter() - t0
    try:
        for _ in range(10):
            execute(kc, "1 + 1")
        trivial = median_ms(kc, "1 + 1", 30)
        execute(kc, """
var chart = new XYChartBuilder().width(800).height(500).title("ten series").build();
for (int s = 0; s < 10; s++) {
    double[] xs = new double[500], ys = new double[500];
    for (int i = 0; i < 500; i++) { xs[i] = i; ys[i] = Math.sin(i / 50.0 + s) + s; }
    chart.addSeries("series " + s, xs, ys);
}
var table = Table.create("rows", IntColumn.indexColumn("i", 1000, 0),
        DoubleColumn.create("x", java.util.stream.IntStream.range(0, 1000).mapToDouble(i -> i * 0.5)));
""")
        for _ in range(3):
            execute(kc, "chart")
            execute(kc, "table")
        chart = median_ms(kc, "chart", 10)
        table = median_ms(kc, "table", 10)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(f"start-up to first result: {startup:.2f} s")
    print(f"trivial cell (1 + 1), median of 30 after warm-up: {trivial:.1f} ms")
    print(f"10-series XChart (800x500) as PNG, median of 10: {chart:.1f} ms")
    print(f"1,000-row Tablesaw table as HTML, median of 10: {table:.1f} ms")


if __name__ == "__main__":
    main()

package dev.coderun.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Nearest-rank percentiles of a sample of milliseconds. */
record Stats(int count, double p50, double p95, double p99, double max) {

    static Stats of(Collection<? extends Number> samples) {
        List<Double> sorted = new ArrayList<>();
        for (Number n : samples) {
            sorted.add(n.doubleValue());
        }
        if (sorted.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        sorted.sort(Double::compare);
        return new Stats(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99), sorted.getLast());
    }

    static double rank(List<Double> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("n", count);
        map.put("p50_ms", round(p50));
        map.put("p95_ms", round(p95));
        map.put("p99_ms", round(p99));
        map.put("max_ms", round(max));
        return map;
    }

    String brief() {
        return count == 0 ? "n/a" : String.format("%.0f / %.0f / %.0f", p50, p95, p99);
    }

    static Object round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10) / 10.0;
    }
}

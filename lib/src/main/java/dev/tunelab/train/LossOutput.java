package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A scalar loss to differentiate and the batch's metrics under the names TRL logs them
 * ({@code rewards/chosen}, {@code rewards/margins}, {@code logps/chosen}, ...).
 */
public record LossOutput(NDArray loss, Map<String, Double> metrics) {
    public LossOutput {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics)); // in the order given, as they are logged
    }
}

package dev.tunelab.track;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a sink learns when a run starts.
 *
 * @param id          the local run id (the folder name under the runs directory)
 * @param name        the human name the run was started with
 * @param dir         the run's folder; never null (in-memory runs get a temporary one for their files)
 * @param config      the whole config
 * @param startMillis wall-clock start of this process's part of the run (epoch milliseconds)
 * @param resumed     true when an existing run was reopened
 */
public record RunInfo(String id, String name, Path dir, Map<String, Object> config, long startMillis, boolean resumed) {}

/**
 * Experiment tracking: the run record, its sinks, run comparison and sweeps.
 *
 * <ul>
 *   <li>{@link dev.tunelab.track.Run}: config (with a {@code _tunelab} block, {@link dev.tunelab.track.Versions}:
 *       the tunelab, Java, DJL and libtorch versions and the intra-op thread count libtorch uses; a version
 *       that cannot be found is left out), {@code log(step, metrics)} (nested maps flattened
 *       with '.', images, XChart charts and Tablesaw tables saved as media files), summary, files,
 *       console lines, {@code finish(exitCode)}. Always kept in {@code runs/<id>/} (config.json,
 *       history.jsonl appended and flushed line by line, summary.json, files/); reopened with
 *       {@code Run.builder(name).id(id).start()}.</li>
 *   <li>{@link dev.tunelab.track.RunSink}: where else a run goes. The Trainer's run feeds
 *       {@code TrainConfig.sink(...)} sinks and, when the environment asks, Weights &amp; Biases.</li>
 *   <li>{@link dev.tunelab.track.Runs}: {@code Runs.open("runs")}, one row per run, filters, groups,
 *       charts of a metric by step and of a final metric against a config value.</li>
 *   <li>{@link dev.tunelab.track.Sweep}, {@link dev.tunelab.track.SweepSpace}: grid and random search,
 *       one trial after another, with a {@link dev.tunelab.track.SweepResult} table and chart.</li>
 * </ul>
 *
 * <h2>Weights &amp; Biases</h2>
 * The wire protocol is the one in the project's {@code wandb-protocol.md}. On by {@code WANDB_API_KEY}
 * (or {@code ~/.netrc}), or {@code WANDB_MODE=offline}; settings from {@code WANDB_BASE_URL},
 * {@code WANDB_ENTITY}, {@code WANDB_PROJECT}, {@code WANDB_RUN_ID} (resume), {@code WANDB_NAME},
 * {@code WANDB_TAGS}, {@code WANDB_NOTES}, {@code WANDB_RUN_GROUP}, {@code WANDB_JOB_TYPE}. Everything the
 * sink gets is first appended to {@code runs/<id>/wandb/journal.jsonl}; a background thread sends
 * it (Viewer, UpsertBucket, file_stream with line offsets, CreateRunFiles + PUT, final complete) and
 * records its place in {@code wandb/state.json}. {@link dev.tunelab.track.WandbSync} (library call and
 * {@code main}) sends the rest of an offline or interrupted run later.
 *
 * <p>Timeouts, in seconds (decimals allowed), named after the SDK's settings:
 * <ul>
 *   <li>{@code WANDB_HTTP_TIMEOUT} (default 20): one GraphQL or file_stream request; a file upload
 *       gets 30 times as long.</li>
 *   <li>{@code WANDB_FINISH_TIMEOUT} (default 5; the name of the SDK's {@code finish_timeout}
 *       setting, whose default may differ): how long the end of a run ({@code finish}/{@code close}) waits for the
 *       upload. When the run ends, a retry that is waiting is woken and tries at once, and from then on
 *       waits start at a twentieth of the budget (4-5 retries of a 429/5xx fit in it; a 429's
 *       {@code RateLimit-Reset} is still kept); a wait that would end past the budget is not started,
 *       and a request still in flight when the budget is spent (a silent server) is cancelled. What was
 *       not sent stays in the journal for sync; one line says so. Unlike the SDK's
 *       {@code finish_timeout_raises}, running out of time never throws: tracking never stops training.</li>
 * </ul>
 * The first request that fails in a way worth retrying gives one warning at once, while the run goes on
 * (the SDK's "Network error ..., entering retry loop"), not at its end.
 *
 * <p>Choices where the note says UNCONFIRMED, or is silent, each the safer option:
 * <ul>
 *   <li>{@code WANDB_DISABLED=true} turns W&amp;B off, whatever {@code WANDB_MODE} says.</li>
 *   <li>No project given: the run goes to project {@code uncategorized}, named explicitly; no entity
 *       given: the {@code viewer.entity} of the key (asked at start, which also checks the key).</li>
 *   <li>Server de-duplication of repeated offsets: the client never relies on it to be correct;
 *       offsets are fixed by the journal, so a re-sent chunk carries the same offsets and a replay
 *       cannot append rows twice if the server overwrites by offset, as the note says.</li>
 *   <li>A history chunk refused with 400/401/403/404/409/410/413/422/501 is dropped and counted (as the
 *       SDK does), with one warning; it stays in history.jsonl and the journal. 429, 5xx, timeouts and
 *       connection errors are retried with backoff (1 s doubling to 60 s, plus 0-25% jitter; a 429's
 *       {@code RateLimit-Reset} is honoured); after 10 minutes of failing the upload stops, once, with
 *       one warning, and training goes on with the journal kept for sync. A chunk given up on after
 *       retrying (or at the end of the finish budget) is not "dropped": sync sends it again.</li>
 *   <li>Tables: only the {@code table-file} history value and its uploaded {@code .table.json} are sent,
 *       not the SDK's extra run_table artifact; W&amp;B Artifacts are not used (models and adapters
 *       can be saved as plain run files).</li>
 *   <li>A journal that ends without an exit record (the process was killed) is marked failed by
 *       sync, exit code 1, rather than left "running" until the server's unknown timeout.</li>
 *   <li>Run page: the API host without its {@code api.} label (the note's literal rule would turn
 *       {@code api.wandb.ai} into {@code ai}).</li>
 *   <li>The {@code _wandb} config entry holds only {@code start_time}: tunelab does not claim a wandb
 *       {@code cli_version}.</li>
 *   <li>Config changes are coalesced per send batch (the last one wins) rather than timed at 30 s.</li>
 * </ul>
 * Not sent: system metrics ({@code wandb-events.jsonl}), {@code wandb-metadata.json},
 * {@code config.yaml}, histograms.
 *
 * <p>W&amp;B Sweeps: the protocol note does not describe the sweep controller's API. tunelab speaks
 * the calls of the Python SDK's internal API ({@code UpsertSweep} with the config as JSON text, which
 * is YAML; {@code CreateAgent}; {@code Heartbeat} with {@code runState} {@code {"<run id>": true}} for
 * the trial in progress and {@code {}} when idle, answered by {@code run}/{@code resume}/{@code stop}/
 * {@code exit} commands) in {@link dev.tunelab.track.WandbSweepAgent}: UNCONFIRMED against today's
 * server; the safe choices are that a {@code stop} for a running in-process trial lets it finish (it
 * cannot be killed safely) and that an agent without {@code WANDB_PROJECT} refuses to start rather than
 * guess a project. The alternative path needs none of that: {@code Sweep.writeWandbConfig} writes the
 * sweep for W&amp;B's own {@code wandb agent} CLI, which starts a Java program with {@code --name=value}
 * arguments ({@link dev.tunelab.track.Trial#fromArgs}) and {@code WANDB_RUN_ID} / {@code WANDB_SWEEP_ID},
 * which the run's UpsertBucket passes on ({@code sweep} variable). Neither tried against a live server.
 */
package dev.tunelab.track;

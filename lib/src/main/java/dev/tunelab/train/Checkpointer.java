package dev.tunelab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.PeftModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Writes and restores the checkpoints of one training run, in the formats users load elsewhere
 * (as torchtune's checkpointer writes the adapter-only and the full states):
 *
 * <ul>
 *   <li>an adapter run's {@code step-N/} and {@code best/} are PEFT adapter folders
 *       ({@code adapter_config.json}, {@code adapter_model.safetensors}) that Python PEFT and
 *       {@code PeftModel.load} open;</li>
 *   <li>a full fine-tuning run's are Hugging Face model folders ({@code config.json},
 *       {@code model.safetensors}) that {@code LlamaModel.load} and transformers open (when only
 *       some base weights train, {@code model.safetensors} holds those);</li>
 *   <li>beside them, what resuming needs and those formats do not hold:
 *       {@code trainer_parameters.safetensors} (trained parameters outside the file above, e.g. a
 *       value head), {@code optimizer.safetensors} and {@code trainer_state.json} (step, run id,
 *       seed, data fingerprint and the trainer's own state).</li>
 * </ul>
 *
 * Every folder is written under a temporary name and renamed into place ({@link Checkpoints}).
 */
final class Checkpointer {
    static final String TRAINER_PARAMETERS = "trainer_parameters.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String STATE = "trainer_state.json";
    static final String MODEL_WEIGHTS = "model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final LlamaModel model;
    private final PeftModel adapter;
    private final Map<String, Parameter> params;
    private final int keep;

    /**
     * @param adapter the adapter being trained, or null for a run of the model's own weights
     * @param params every trained parameter by name (the model's, and extra heads' with a prefix)
     */
    Checkpointer(Path root, LlamaModel model, PeftModel adapter, Map<String, Parameter> params, int keep) {
        this.root = root;
        this.model = model;
        this.adapter = adapter;
        this.params = params;
        this.keep = keep;
    }

    /** Saves {@code step-N/}: weights, optimizer moments and state; then prunes to the newest {@code keep}. */
    Path save(int step, AdamW optimizer, Map<String, Object> state) throws IOException {
        String name = Checkpoints.stepFolder(step);
        return Checkpoints.writeAtomically(root, name, keep, tmp -> {
            writeWeights(tmp);
            SafeTensors.write(tmp.resolve(OPTIMIZER), optimizer.state(), Map.of());
            Map<String, Object> full = new LinkedHashMap<>(state);
            full.put("step", step);
            full.put("optimizer_steps", optimizer.steps());
            AtomicFiles.writeString(tmp.resolve(STATE), JSON.writeValueAsString(full));
        });
    }

    /** Replaces {@code best/} with the current weights and {@code best.json} (step, held-out loss). */
    void saveBest(int step, double evalLoss) throws IOException {
        Checkpoints.writeAtomically(root, Checkpoints.BEST, 0, tmp -> {
            writeWeights(tmp);
            AtomicFiles.writeString(tmp.resolve(Checkpoints.BEST_FILE),
                    JSON.writeValueAsString(Map.of("step", step, "eval_loss", evalLoss)));
        });
    }

    /** The newest complete checkpoint, if there is one. */
    Optional<Checkpoints.Checkpoint> latest() throws IOException {
        return Checkpoints.latest(root);
    }

    /** Loads a checkpoint's weights and optimizer state into the live parameters and optimizer. */
    void restore(Checkpoints.Checkpoint c, AdamW optimizer) throws IOException {
        try (NDManager tmp = model.manager().newSubManager()) {
            Map<String, Parameter> rest = new LinkedHashMap<>(params);
            if (adapter != null) {
                Map<String, Parameter> saved = adapter.savedParameters();
                set(SafeTensors.loadAll(tmp, c.dir().resolve("adapter_model.safetensors")), saved, c.dir());
                rest.values().removeAll(saved.values());
            } else {
                Map<String, Parameter> inModel = modelParameters();
                set(SafeTensors.loadAll(tmp, c.dir().resolve(MODEL_WEIGHTS)), inModel, c.dir());
                rest.keySet().removeAll(inModel.keySet());
            }
            if (!rest.isEmpty()) {
                set(SafeTensors.loadAll(tmp, c.dir().resolve(TRAINER_PARAMETERS)), rest, c.dir());
            }
            optimizer.load(SafeTensors.loadAll(tmp, c.dir().resolve(OPTIMIZER)),
                    ((Number) c.state().get("optimizer_steps")).longValue());
        }
    }

    private void writeWeights(Path dir) throws IOException {
        Map<String, Parameter> rest = new LinkedHashMap<>(params);
        if (adapter != null) {
            adapter.save(dir);
            rest.values().removeAll(adapter.savedParameters().values());
        } else {
            Map<String, Parameter> inModel = modelParameters();
            if (inModel.size() == model.namedParameters().size()) {
                model.save(dir); // every weight trains: a complete Hugging Face model folder
            } else {
                write(dir.resolve(MODEL_WEIGHTS), inModel);
            }
            rest.keySet().removeAll(inModel.keySet());
        }
        if (!rest.isEmpty()) {
            write(dir.resolve(TRAINER_PARAMETERS), rest);
        }
    }

    /** The trained parameters that are the model's own (not heads added by a trainer). */
    private Map<String, Parameter> modelParameters() {
        Map<String, Parameter> all = model.namedParameters();
        Map<String, Parameter> out = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            if (all.get(name) == p) {
                out.put(name, p);
            }
        });
        return out;
    }

    private static void write(Path file, Map<String, Parameter> parameters) throws IOException {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        parameters.forEach((n, p) -> weights.put(n, p.data()));
        SafeTensors.write(file, weights, Map.of("format", "pt"));
    }

    /** Overwrites each parameter with the tensor of its name (same number of elements). */
    private static void set(Map<String, NDArray> tensors, Map<String, Parameter> parameters, Path dir) {
        Autograd.noGrad(() -> parameters.forEach((name, p) -> {
            NDArray w = tensors.get(name);
            if (w == null || w.size() != p.size()) {
                throw new IllegalArgumentException(dir + ": checkpoint has no tensor '" + name + "' of "
                        + p.data().getShape() + (w == null ? "" : ", found " + w.getShape()));
            }
            p.data().set(w.toType(p.data().getDataType(), false).toByteBuffer());
        }));
    }
}

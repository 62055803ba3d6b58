package dev.tunelab;

import dev.tunelab.io.Hub;
import dev.tunelab.io.HubException;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.WeightStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point for notebooks: {@code var lm = Models.load("path/to/model");}. */
public final class Models {
    private Models() {}

    /**
     * Loads a model folder in Hugging Face layout: config.json, *.safetensors (or a sharded index)
     * and tokenizer.json (+ tokenizer_config.json). A string that names no folder but has the shape
     * of a Hub repository id ({@code org/name}) is downloaded through {@link #fromHub(String)}.
     */
    public static LanguageModel load(String pathOrId) {
        return load(pathOrId, WeightStorage.FP32);
    }

    /**
     * As {@link #load(String)}, keeping the weights in {@code storage} as they are read: {@code
     * WeightStorage.FP16}, or {@code Quantization.nf4()} for QLoRA. Such a base is frozen; attach an
     * adapter to train it.
     */
    public static LanguageModel load(String pathOrId, WeightStorage storage) {
        Path dir = Path.of(pathOrId);
        if (!Files.isDirectory(dir) && Hub.isRepoId(pathOrId)) {
            return fromHub(pathOrId, storage);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no model folder '" + pathOrId + "' (working directory "
                    + Path.of("").toAbsolutePath().getFileName() + "): expected a folder with config.json, "
                    + "model.safetensors and tokenizer.json");
        }
        return load(dir, storage);
    }

    /**
     * Downloads a Hub model (config, tokenizer, safetensors weights) into the Hugging Face cache,
     * or finds it there, and loads it; see {@link Hub} for HF_HOME, HF_TOKEN and HF_HUB_OFFLINE.
     */
    public static LanguageModel fromHub(String repoId) {
        return fromHub(repoId, WeightStorage.FP32);
    }

    public static LanguageModel fromHub(String repoId, WeightStorage storage) {
        try {
            return load(Hub.fromEnvironment().downloadModel(repoId), storage);
        } catch (HubException e) {
            throw new HubException(e.getMessage() + " (and there is no local folder '" + repoId + "')", e);
        }
    }

    public static LanguageModel load(Path dir) {
        return load(dir, WeightStorage.FP32);
    }

    public static LanguageModel load(Path dir, WeightStorage storage) {
        try {
            LlamaModel model = LlamaModel.load(dir, storage);
            try {
                return new LanguageModel(model, Tokenizer.load(dir));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.tunelab.serve;

import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.peft.PeftType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models one server answers for, by the name a request gives in {@code model}: the base model
 * under its name, and each LoRA adapter under the name it was given ({@code --adapter NAME=DIR}).
 * All share one base in memory; {@link #activate} switches the adapters before a request runs
 * (the server runs one batch at a time, all its requests for one model, so the switch cannot race). Only LoRA adapters can be
 * switched off and on per request, so other adapter types are refused at start.
 */
public final class ServedModels implements AutoCloseable {
    private final LanguageModel lm;
    private final String baseName;
    private final PeftModel peft; // null without adapters
    private final Map<String, String> adapterByServedName = new LinkedHashMap<>(); // served name -> PeftModel's adapter name
    private final long created = System.currentTimeMillis() / 1000;

    private ServedModels(LanguageModel lm, String baseName, PeftModel peft) {
        this.lm = lm;
        this.baseName = baseName;
        this.peft = peft;
    }

    /** A base model alone, served as {@code baseName}. */
    public static ServedModels of(LanguageModel lm, String baseName) {
        return withAdapters(lm, baseName, Map.of());
    }

    /**
     * A base model and LoRA adapter folders (PEFT's format), served as {@code baseName} and the
     * keys of {@code adapters}.
     */
    public static ServedModels withAdapters(LanguageModel lm, String baseName, Map<String, Path> adapters) {
        PeftModel peft = null;
        List<String> names = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> e : adapters.entrySet()) {
                String name = e.getKey();
                if (name.equals(baseName) || names.contains(name) || name.isBlank()) {
                    throw new IllegalArgumentException("--adapter " + name + ": adapter names must be non-empty and differ from each other and from the base model's name '" + baseName + "'");
                }
                if (peft == null) {
                    peft = PeftModel.load(lm.model(), e.getValue());
                    if (peft.type() != PeftType.LORA) {
                        throw new IllegalArgumentException("--adapter " + name + "=" + e.getValue() + ": a " + peft.type()
                                + " adapter cannot be switched off per request; the server serves LoRA adapters only");
                    }
                } else {
                    peft.loadAdapter(e.getValue(), name);
                }
                names.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lm.model().train(false); // inference: no dropout (and the Java decoder's condition)
        ServedModels served = new ServedModels(lm, baseName, peft);
        for (int i = 0; i < names.size(); i++) {
            served.adapterByServedName.put(names.get(i), i == 0 ? peft.activeAdapter() : names.get(i));
        }
        return served;
    }

    /** Loads {@code modelDir} and serves it under its folder name, with the given adapters. */
    public static ServedModels load(Path modelDir, Map<String, Path> adapters) {
        LanguageModel lm = Models.load(modelDir);
        try {
            return withAdapters(lm, modelDir.toAbsolutePath().normalize().getFileName().toString(), adapters);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    public LanguageModel languageModel() {
        return lm;
    }

    public String baseName() {
        return baseName;
    }

    /** Every name a request may give: the base first, then the adapters. */
    public List<String> names() {
        List<String> all = new ArrayList<>();
        all.add(baseName);
        all.addAll(adapterByServedName.keySet());
        return all;
    }

    public boolean serves(String name) {
        return baseName.equals(name) || adapterByServedName.containsKey(name);
    }

    /** When the models were loaded (seconds since the epoch), for /v1/models. */
    public long created() {
        return created;
    }

    /** Sets the adapters for a request to {@code name}: all off for the base, else that adapter on. */
    void activate(String name) {
        if (!serves(name)) {
            throw new IllegalArgumentException("no model '" + name + "'; served: " + names());
        }
        if (peft == null) {
            return;
        }
        if (name.equals(baseName)) {
            peft.setAdaptersEnabled(false);
        } else {
            peft.setAdapter(adapterByServedName.get(name));
            peft.setAdaptersEnabled(true);
        }
    }

    @Override
    public void close() {
        lm.close();
    }
}

/**
 * Evaluation metrics that reproduce the reference tools people cite, and an {@link
 * dev.tunelab.eval.Evaluation} that runs a model over a held-out set and compares models.
 *
 * <table>
 * <caption>Metrics and the conventions they follow</caption>
 * <tr><th>class</th><th>metric</th><th>reference</th></tr>
 * <tr><td>{@link dev.tunelab.eval.Classification}</td><td>accuracy, precision/recall/F1 (binary, macro, micro)</td><td>scikit-learn</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Squad}</td><td>exact match, token F1</td><td>SQuAD v1.1 evaluate script</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Bleu}</td><td>corpus and sentence BLEU</td><td>sacreBLEU 2.x defaults (13a, exp smoothing)</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Rouge}</td><td>ROUGE-1/2/L F-measure, optional stemming</td><td>Google rouge-score; NLTK's Porter stemmer</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Diversity}</td><td>distinct-n, self-BLEU</td><td>Li et al. 2016; Zhu et al. 2018</td></tr>
 * <tr><td>{@link dev.tunelab.train.Perplexity}</td><td>perplexity of texts</td><td>Hugging Face perplexity guide</td></tr>
 * <tr><td>{@link dev.tunelab.eval.NextTokenKl}</td><td>KL between two models' next-token distributions</td><td>definition</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Embeddings}</td><td>cosine of mean-pooled hidden states</td><td>sentence-transformers mean pooling</td></tr>
 * <tr><td>{@link dev.tunelab.eval.WinRate}</td><td>win rate with bootstrap CI</td><td>percentile bootstrap, numpy percentiles</td></tr>
 * <tr><td>{@link dev.tunelab.eval.PairedBootstrap}</td><td>mean paired gap with bootstrap CI</td><td>percentile bootstrap over pairs</td></tr>
 * <tr><td>{@link dev.tunelab.eval.Toxicity}</td><td>word-list toxicity rate with Wilson CI</td><td>Wilson 1927 (statsmodels "wilson")</td></tr>
 * </table>
 *
 * <p>Guard checks: {@link dev.tunelab.eval.BiasCheck} (counterfactual pairs from
 * {@link dev.tunelab.eval.Counterfactuals}), {@link dev.tunelab.eval.OpenBookQa} (open- vs
 * closed-book QA with {@link dev.tunelab.eval.UnsupportedNames}).
 */
package dev.tunelab.eval;

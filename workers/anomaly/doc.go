// Package anomaly scores customs import declarations for risk, so that a
// compliance officer reviews the declarations customs would flag before
// customs flags them.
//
// It has two halves that share one [Model]:
//
//   - Unsupervised baselines (baseline.go), which need no inspection
//     outcomes and work from the first week of data: the median and MAD of
//     the log unit value per HS6 code, per HS6 code and origin, and per
//     seller, with a heavy-tailed (Student's t) chance of the robust
//     z-score; an HS chapter new to an importer, judged by its
//     concentration and history length;
//     a volume spike of an HS6 code or heading for an importer, against its
//     own earlier rate (volume.go);
//     a country-of-origin switch for a seller, judged by the seller's
//     chance of a new origin and by how plausible the new origin is for the
//     country of departure and the HS6 code;
//     a consignee never seen before that imports from a configurable list
//     of high-risk countries; and tax rates, tax types, origins and origin
//     indicators that the history never combined. Each signal is
//     calibrated: the newest quarter of the history is judged against the
//     older three quarters, and a signal counts by how rarely ordinary
//     declarations reach its strength. A declaration's rarest signal sets
//     its risk; the others only corroborate it, so many common signals
//     never outrank one rare one.
//   - A supervised model (gbdt.go, features.go), used once inspection
//     outcomes (the Fraud label) exist: histogram-based gradient-boosted
//     decision trees trained with log loss, on numeric features and on
//     out-of-fold, smoothed target encodings of the categorical fields and
//     their combinations, computed from training labels only. The model
//     keeps the full-training encodings to score new declarations.
//
// The volume detector counts the declarations scored before the one it
// judges, so whole files and live feeds are scored as a [Stream] in date
// order ([Model.ScoreAll], [Model.NewStream]); a declaration is never judged
// on declarations dated after it.
//
// [Model.Score] turns both into one compliance score from 0 to 100 and, for
// a declaration that needs review, the top reasons in words an officer
// understands. The score follows the issue's wording, "a compliance score
// below threshold": 100 means nothing looks wrong, 0 means certainly
// irregular, and a declaration scored below [DefaultReviewThreshold] (80) is
// sent for review. [Result.Risk] = 1 - Score/100 is the same judgement as a
// risk (higher is riskier), which [Eval] ranks by. The risk joins the trees'
// fraud probability and the baselines' risk by a noisy-or.
//
// # Why the trees are written here
//
// The project needs a trainer, not only a scorer, and the issue asks for the
// model to be written in Go. github.com/dmitryikh/leaves, the Go
// gradient-boosting package on the module proxy (last changed July 2023),
// only loads and evaluates models trained by LightGBM, XGBoost or
// scikit-learn outside Go: it cannot train. github.com/sjwhitworth/golearn
// has ID3 and CART trees, random forests and an isolation forest, but no
// gradient boosting, no histogram training and no early stopping; gonum has
// no tree learners. The booster in gbdt.go is therefore written here: binned
// features, best-first (leaf-wise) growth under a leaf and depth limit, L2
// regularisation, shrinkage, minimum samples per leaf, row and feature
// subsampling from a seeded generator, and early stopping on a validation
// split. Training is deterministic for a seed and takes seconds on the
// customs data.
package anomaly

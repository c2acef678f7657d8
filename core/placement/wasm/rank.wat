;; The hot loops of a ranking (rank.ts) in WebAssembly with 128-bit SIMD: the per-row pass (reasons,
;; scores, total in hundredths, RAM headroom), the counting of rows per total, and the order (a counting
;; sort over the totals and reason counts, equal totals sorted by headroom then images present).
;; Every figure is worked out with the same IEEE operations, in the same order, as the JavaScript pass
;; and measure.ts, so the results are identical to the bit (rank-simd.test.ts compares them).
;; simd.ts lays the columns out in the memory and calls these; scripts/build-wasm.mjs compiles this
;; file into rank-wasm.ts (the test checks that the two agree).
;;
;; Why: in JavaScript every typed-array access in a loop pays a map check, two pointer loads and a
;; bounds check, and the clamps and roundings become branches that go either way at random. Here a
;; pair of rows is one set of f64x2 operations without a branch; the loads are plain.
;;
;; Layout (byte offsets, given by the caller; f64 columns 16-byte aligned, room for n + 2 rows):
;;   pU      u16  per row: offline / stale / cordoned flags, their count in bits 8+ (table.unavailable)
;;   pCombo  i32  per row: combination id
;;   pMem    f64  per row: RAM available to the app (free RAM, the app's own reservation left out)
;;   pSto    f64  per row: storage available to the app
;;   pStatic f64  per row: CPU + load + reliability contributions (table.staticScores)
;;   pCores  f64  per row: cores
;;   pCR i32, pCN f64, pCRD f64, pCD i32, pCI i32: per combination: reason count (architecture,
;;     paths, ports), memory need, RAM score denominator, brings a database server (0/1), images present
;;   pCents  i32  per row, out: total in hundredths (eligible) or -1 - reasons
;;   pRoom   f64  per row, out: RAM headroom after the app (meaningful for eligible rows)
;;   pSlots  i32  10002 totals + 64 reason counts: rows per bucket, then the order's positions
;;   pById   i32  rows in device id order;  pRank i32: each row's place in that order
;;   pOrder  i32  out: rows best first;  pGroups i32 pairs: scratch for the groups of equal totals
(module
  (memory (export "memory") 1)
  ;; Figures of the last pass: smallest and largest total of an eligible row, largest reason count,
  ;; 1 when a total fell outside 0..10001.
  (global $minCents (export "minCents") (mut i32) (i32.const 0))
  (global $maxCents (export "maxCents") (mut i32) (i32.const 0))
  (global $maxReasons (export "maxReasons") (mut i32) (i32.const 0))
  (global $outside (export "outside") (mut i32) (i32.const 0))

;; The three largest figures of RAM available on rows that are not offline, stale or cordoned, with
  ;; their rows (-1: none), for the largest-app warning: found by the pass, rows in row order.
  (global $a1 (export "a1") (mut f64) (f64.const -inf))
  (global $a2 (export "a2") (mut f64) (f64.const -inf))
  (global $a3 (export "a3") (mut f64) (f64.const -inf))
  (global $r1 (export "r1") (mut i32) (i32.const -1))
  (global $r2 (export "r2") (mut i32) (i32.const -1))
  (global $r3 (export "r3") (mut i32) (i32.const -1))
  (func $consider (param $m f64) (param $i i32)
    (if (f64.gt (local.get $m) (global.get $a1))
      (then
        (global.set $a3 (global.get $a2)) (global.set $r3 (global.get $r2))
        (global.set $a2 (global.get $a1)) (global.set $r2 (global.get $r1))
        (global.set $a1 (local.get $m)) (global.set $r1 (local.get $i)))
      (else
        (if (f64.gt (local.get $m) (global.get $a2))
          (then
            (global.set $a3 (global.get $a2)) (global.set $r3 (global.get $r2))
            (global.set $a2 (local.get $m)) (global.set $r2 (local.get $i)))
          (else
            (global.set $a3 (local.get $m)) (global.set $r3 (local.get $i)))))))

  ;; Every row's reasons, scores and total; returns how many rows are eligible. Rows are taken in
  ;; pairs (row n, when n is odd, is a spare the caller leaves room for; nothing of it is counted).
  (func (export "pass")
      (param $n i32) (param $pU i32) (param $pCombo i32) (param $pMem i32) (param $pSto i32) (param $pStatic i32) (param $pCores i32)
      (param $cpuCheck i32) (param $cpus f64)
      (param $pCR i32) (param $pCN i32) (param $pCRD i32) (param $pCD i32)
      (param $needApp f64) (param $disk f64) (param $storageDen f64) (param $fRam f64) (param $fSto f64)
      (param $pCents i32) (param $pRoom i32)
      (result i32)
    (local $i i32) (local $i1 i32) (local $k0 i32) (local $k1 i32) (local $r0 i32) (local $r1 i32) (local $valid i32)
    (local $mem0 f64) (local $mem1 f64) (local $need0 f64) (local $need1 f64)
    (local $memv v128) (local $needv v128) (local $v v128) (local $ram v128) (local $storage v128) (local $x v128) (local $cc v128)
    (local $c i32) (local $elig i32) (local $eligible i32) (local $minC i32) (local $maxC i32) (local $maxR i32) (local $out i32)
    (local $u0 i32) (local $u1 i32)
    (local.set $minC (i32.const 0x7fffffff))
    (local.set $maxC (i32.const -1))
    (global.set $a1 (f64.const -inf)) (global.set $a2 (f64.const -inf)) (global.set $a3 (f64.const -inf))
    (global.set $r1 (i32.const -1)) (global.set $r2 (i32.const -1)) (global.set $r3 (i32.const -1))
    (block $done (loop $rows
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $i1 (i32.add (local.get $i) (i32.const 1)))
      (local.set $valid (i32.lt_s (local.get $i1) (local.get $n)))
      (local.set $k0 (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $k1 (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $i1) (i32.const 2)))))
      (local.set $memv (v128.load (i32.add (local.get $pMem) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $mem0 (f64x2.extract_lane 0 (local.get $memv)))
      (local.set $mem1 (f64x2.extract_lane 1 (local.get $memv)))
      (local.set $need0 (f64.load (i32.add (local.get $pCN) (i32.shl (local.get $k0) (i32.const 3)))))
      (local.set $need1 (f64.load (i32.add (local.get $pCN) (i32.shl (local.get $k1) (i32.const 3)))))
      (local.set $u0 (i32.load16_u (i32.add (local.get $pU) (i32.shl (local.get $i) (i32.const 1)))))
      (local.set $u1 (i32.load16_u (i32.add (local.get $pU) (i32.shl (local.get $i1) (i32.const 1)))))
      ;; The largest RAM available on rows that are not offline, stale or cordoned (rarely a new one).
      (if (i32.and (f64.gt (local.get $mem0) (global.get $a3)) (i32.eqz (i32.and (local.get $u0) (i32.const 0xff))))
        (then (call $consider (local.get $mem0) (local.get $i))))
      (if (i32.and (i32.and (local.get $valid) (f64.gt (local.get $mem1) (global.get $a3))) (i32.eqz (i32.and (local.get $u1) (i32.const 0xff))))
        (then (call $consider (local.get $mem1) (local.get $i1))))
      ;; The reasons: each check adds 0 or 1; !(a >= b) is a reason, as in measure.ts (NaN too).
      (local.set $r0
        (i32.add
          (i32.add
            (i32.add
              (i32.shr_u (local.get $u0) (i32.const 8))
              (i32.load (i32.add (local.get $pCR) (i32.shl (local.get $k0) (i32.const 2)))))
            (i32.add
              (i32.eqz (f64.ge (local.get $mem0) (local.get $needApp)))
              (i32.eqz (f64.ge (f64.load (i32.add (local.get $pSto) (i32.shl (local.get $i) (i32.const 3)))) (local.get $disk)))))
          (i32.add
            (i32.and (i32.load (i32.add (local.get $pCD) (i32.shl (local.get $k0) (i32.const 2))))
                     (i32.eqz (f64.ge (local.get $mem0) (local.get $need0))))
            (i32.and (local.get $cpuCheck)
                     (i32.eqz (f64.ge (f64.load (i32.add (local.get $pCores) (i32.shl (local.get $i) (i32.const 3)))) (local.get $cpus)))))))
      (local.set $r1
        (i32.add
          (i32.add
            (i32.add
              (i32.shr_u (local.get $u1) (i32.const 8))
              (i32.load (i32.add (local.get $pCR) (i32.shl (local.get $k1) (i32.const 2)))))
            (i32.add
              (i32.eqz (f64.ge (local.get $mem1) (local.get $needApp)))
              (i32.eqz (f64.ge (f64.load (i32.add (local.get $pSto) (i32.shl (local.get $i1) (i32.const 3)))) (local.get $disk)))))
          (i32.add
            (i32.and (i32.load (i32.add (local.get $pCD) (i32.shl (local.get $k1) (i32.const 2))))
                     (i32.eqz (f64.ge (local.get $mem1) (local.get $need1))))
            (i32.and (local.get $cpuCheck)
                     (i32.eqz (f64.ge (f64.load (i32.add (local.get $pCores) (i32.shl (local.get $i1) (i32.const 3)))) (local.get $cpus)))))))
      (local.set $needv (f64x2.replace_lane 1 (f64x2.splat (local.get $need0)) (local.get $need1)))
      ;; RAM: ((mem > 0 ? mem : 0) - need) / (factor * need), clamped to 0..1 (NaN: 0); 100 when the need is not positive.
      ;; pmax(0, v) is 0 < v ? v : 0 and pmin(v, 1) is 1 < v ? 1 : v: the JavaScript ternaries.
      (local.set $v
        (f64x2.div
          (f64x2.sub (f64x2.pmax (f64x2.splat (f64.const 0)) (local.get $memv)) (local.get $needv))
          (f64x2.replace_lane 1
            (f64x2.splat (f64.load (i32.add (local.get $pCRD) (i32.shl (local.get $k0) (i32.const 3)))))
            (f64.load (i32.add (local.get $pCRD) (i32.shl (local.get $k1) (i32.const 3)))))))
      (local.set $v (f64x2.pmin (f64x2.pmax (f64x2.splat (f64.const 0)) (local.get $v)) (f64x2.splat (f64.const 1))))
      (local.set $ram
        (v128.bitselect
          (f64x2.mul (f64x2.splat (f64.const 100)) (local.get $v))
          (f64x2.splat (f64.const 100))
          (f64x2.gt (local.get $needv) (f64x2.splat (f64.const 0)))))
      ;; Storage: ((sto > 0 ? sto : 0) - need) / denominator, clamped to 0..1.
      (local.set $v
        (f64x2.div
          (f64x2.sub
            (f64x2.pmax (f64x2.splat (f64.const 0)) (v128.load (i32.add (local.get $pSto) (i32.shl (local.get $i) (i32.const 3)))))
            (f64x2.splat (local.get $disk)))
          (f64x2.splat (local.get $storageDen))))
      (local.set $v (f64x2.pmin (f64x2.pmax (f64x2.splat (f64.const 0)) (local.get $v)) (f64x2.splat (f64.const 1))))
      (local.set $storage (f64x2.mul (f64x2.splat (f64.const 100)) (local.get $v)))
      ;; 100 * (ram * fRam + storage * fSto + static), then floor(x + 0.5) less 1 at 0.5 - 2^-54: Math.round.
      (local.set $x
        (f64x2.mul (f64x2.splat (f64.const 100))
          (f64x2.add
            (f64x2.add
              (f64x2.mul (local.get $ram) (f64x2.splat (local.get $fRam)))
              (f64x2.mul (local.get $storage) (f64x2.splat (local.get $fSto))))
            (v128.load (i32.add (local.get $pStatic) (i32.shl (local.get $i) (i32.const 3)))))))
      (local.set $cc
        (i32x4.trunc_sat_f64x2_s_zero
          (f64x2.sub
            (f64x2.floor (f64x2.add (local.get $x) (f64x2.splat (f64.const 0.5))))
            (v128.and (f64x2.eq (local.get $x) (f64x2.splat (f64.const 0.49999999999999994))) (f64x2.splat (f64.const 1))))))
      ;; Headroom: mem - need, clamped to finite (NaN stays NaN, as in JavaScript).
      (v128.store (i32.add (local.get $pRoom) (i32.shl (local.get $i) (i32.const 3)))
        (f64x2.pmax
          (f64x2.pmin (f64x2.sub (local.get $memv) (local.get $needv)) (f64x2.splat (f64.const 0x1.fffffffffffffp+1023)))
          (f64x2.splat (f64.const -0x1.fffffffffffffp+1023))))
      ;; Row i.
      (local.set $c (i32x4.extract_lane 0 (local.get $cc)))
      (local.set $elig (i32.eqz (local.get $r0)))
      (i32.store (i32.add (local.get $pCents) (i32.shl (local.get $i) (i32.const 2)))
        (select (local.get $c) (i32.sub (i32.const -1) (local.get $r0)) (local.get $elig)))
      (local.set $out (i32.or (local.get $out) (i32.and (local.get $elig) (i32.ge_u (local.get $c) (i32.const 10002)))))
      (local.set $minC (select (select (local.get $c) (local.get $minC) (i32.lt_s (local.get $c) (local.get $minC))) (local.get $minC) (local.get $elig)))
      (local.set $maxC (select (select (local.get $c) (local.get $maxC) (i32.gt_s (local.get $c) (local.get $maxC))) (local.get $maxC) (local.get $elig)))
      (local.set $maxR (select (local.get $r0) (local.get $maxR) (i32.gt_u (local.get $r0) (local.get $maxR))))
      (local.set $eligible (i32.add (local.get $eligible) (local.get $elig)))
      ;; Row i + 1 (written when spare too; counted only when valid).
      (local.set $c (i32x4.extract_lane 1 (local.get $cc)))
      (i32.store (i32.add (local.get $pCents) (i32.shl (local.get $i1) (i32.const 2)))
        (select (local.get $c) (i32.sub (i32.const -1) (local.get $r1)) (i32.eqz (local.get $r1))))
      (local.set $elig (i32.and (local.get $valid) (i32.eqz (local.get $r1))))
      (local.set $out (i32.or (local.get $out) (i32.and (local.get $elig) (i32.ge_u (local.get $c) (i32.const 10002)))))
      (local.set $minC (select (select (local.get $c) (local.get $minC) (i32.lt_s (local.get $c) (local.get $minC))) (local.get $minC) (local.get $elig)))
      (local.set $maxC (select (select (local.get $c) (local.get $maxC) (i32.gt_s (local.get $c) (local.get $maxC))) (local.get $maxC) (local.get $elig)))
      (local.set $maxR (select (select (local.get $r1) (local.get $maxR) (i32.gt_u (local.get $r1) (local.get $maxR))) (local.get $maxR) (local.get $valid)))
      (local.set $eligible (i32.add (local.get $eligible) (local.get $elig)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $rows)))
    (global.set $minCents (local.get $minC))
    (global.set $maxCents (local.get $maxC))
    (global.set $maxReasons (local.get $maxR))
    (global.set $outside (local.get $out))
    (local.get $eligible))

  ;; Rows per total (eligible) and per reason count (the others, capped at 63) into pSlots, which the
  ;; caller zeroed; and the best row and the runner-up (into the globals best and second), rows taken in
  ;; row order as the JavaScript pass does. A loop of its own: counted in the pass, each increment went to a slot known only
  ;; two divisions later, and the loads of the rows after it waited for that store (twice as slow).
  (func (export "count") (param $n i32) (param $pCents i32) (param $pSlots i32)
      (param $pRoom i32) (param $pCombo i32) (param $pCI i32) (param $pRank i32)
    (local $i i32) (local $c i32) (local $r i32) (local $at i32)
    (local $best i32) (local $second i32) (local $secondCents i32)
    (local.set $best (i32.const -1))
    (local.set $second (i32.const -1))
    (block $done (loop $rows
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $c (i32.load (i32.add (local.get $pCents) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $r (i32.sub (i32.const -1) (local.get $c)))
      (local.set $at
        (i32.add (local.get $pSlots)
          (i32.shl
            (select
              (select (local.get $c) (i32.const 10001) (i32.lt_u (local.get $c) (i32.const 10002)))
              (i32.add (i32.const 10002) (select (local.get $r) (i32.const 63) (i32.lt_u (local.get $r) (i32.const 63))))
              (i32.ge_s (local.get $c) (i32.const 0)))
            (i32.const 2))))
      (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
      ;; The best and the runner-up: a disqualified row's total is negative, and most rows total less
      ;; than the runner-up.
      (if (i32.ge_s (local.get $c) (local.get $secondCents))
        (then
          (if (i32.or (i32.lt_s (local.get $best) (i32.const 0))
                      (call $before (local.get $i) (local.get $best) (local.get $pCents) (local.get $pRoom) (local.get $pCombo) (local.get $pCI) (local.get $pRank)))
            (then
              (local.set $second (local.get $best))
              (local.set $best (local.get $i)))
            (else
              (if (i32.or (i32.lt_s (local.get $second) (i32.const 0))
                          (call $before (local.get $i) (local.get $second) (local.get $pCents) (local.get $pRoom) (local.get $pCombo) (local.get $pCI) (local.get $pRank)))
                (then (local.set $second (local.get $i))))))
          (local.set $secondCents
            (select (i32.const 0) (i32.load (i32.add (local.get $pCents) (i32.shl (local.get $second) (i32.const 2))))
                    (i32.lt_s (local.get $second) (i32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (global.set $best (local.get $best))
    (global.set $second (local.get $second)))

  ;; Does eligible row i come before eligible row j: higher total, RAM headroom, images present, then
  ;; the lower device id (pRank: each row's place in id order). As Ranked.before in rank.ts.
  (func $before (param $i i32) (param $j i32) (param $pCents i32) (param $pRoom i32) (param $pCombo i32) (param $pCI i32) (param $pRank i32) (result i32)
    (local $ci i32) (local $cj i32) (local $hi f64) (local $hj f64) (local $mi i32) (local $mj i32)
    (local.set $ci (i32.load (i32.add (local.get $pCents) (i32.shl (local.get $i) (i32.const 2)))))
    (local.set $cj (i32.load (i32.add (local.get $pCents) (i32.shl (local.get $j) (i32.const 2)))))
    (if (i32.ne (local.get $ci) (local.get $cj)) (then (return (i32.gt_s (local.get $ci) (local.get $cj)))))
    (local.set $hi (f64.load (i32.add (local.get $pRoom) (i32.shl (local.get $i) (i32.const 3)))))
    (local.set $hj (f64.load (i32.add (local.get $pRoom) (i32.shl (local.get $j) (i32.const 3)))))
    (if (f64.ne (local.get $hi) (local.get $hj)) (then (return (f64.gt (local.get $hi) (local.get $hj)))))
    (local.set $mi (i32.load (i32.add (local.get $pCI) (i32.shl (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))
    (local.set $mj (i32.load (i32.add (local.get $pCI) (i32.shl (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 2)))))
    (if (i32.ne (local.get $mi) (local.get $mj)) (then (return (i32.gt_u (local.get $mi) (local.get $mj)))))
    (i32.lt_s
      (i32.load (i32.add (local.get $pRank) (i32.shl (local.get $i) (i32.const 2))))
      (i32.load (i32.add (local.get $pRank) (i32.shl (local.get $j) (i32.const 2))))))

  ;; The best eligible row and the runner-up (the next in the order), found by count (-1: none).
  (global $best (export "best") (mut i32) (i32.const -1))
  (global $second (export "second") (mut i32) (i32.const -1))

  ;; The order, best first, into pOrder from the counts in pSlots (only valid when no total fell
  ;; outside and no row has 64 reasons or more): eligible rows by total (highest first), then
  ;; disqualified rows by reason count (fewest first), each group in device id order (pById); groups
  ;; of equal totals of up to 64 rows are then sorted by headroom, then images present, descending,
  ;; keeping id order among equals. Returns how many groups are larger (the caller sorts those).
  (func (export "order")
      (param $n i32) (param $pById i32) (param $pCents i32) (param $pSlots i32) (param $minC i32) (param $maxC i32)
      (param $pRoom i32) (param $pCombo i32) (param $pCI i32) (param $pOrder i32) (param $pGroups i32)
      (result i32)
    (local $g i32) (local $gEnd i32)
    (local $c i32) (local $k i32) (local $pos i32) (local $r i32) (local $i i32) (local $m i32) (local $at i32)
    (local $a i32) (local $b i32) (local $x i32) (local $y i32) (local $h f64) (local $img i32) (local $j i32) (local $hj f64) (local $large i32)
    ;; Each bucket's count becomes its first position; totals shared by two rows or more are listed
    ;; (first position, count) in pGroups, without a branch, for the tie sorting below.
    (local.set $c (local.get $maxC))
    (block $done (loop $totals
      (br_if $done (i32.lt_s (local.get $c) (local.get $minC)))
      (local.set $at (i32.add (local.get $pSlots) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $k (i32.load (local.get $at)))
      (i32.store (local.get $at) (local.get $pos))
      (i32.store (i32.add (local.get $pGroups) (i32.shl (local.get $g) (i32.const 3))) (local.get $pos))
      (i32.store offset=4 (i32.add (local.get $pGroups) (i32.shl (local.get $g) (i32.const 3))) (local.get $k))
      (local.set $g (i32.add (local.get $g) (i32.gt_s (local.get $k) (i32.const 1))))
      (local.set $pos (i32.add (local.get $pos) (local.get $k)))
      (local.set $c (i32.sub (local.get $c) (i32.const 1)))
      (br $totals)))
    (local.set $r (i32.const 10002))
    (block $done (loop $reasons
      (br_if $done (i32.ge_u (local.get $r) (i32.const 10066)))
      (local.set $at (i32.add (local.get $pSlots) (i32.shl (local.get $r) (i32.const 2))))
      (local.set $k (i32.load (local.get $at)))
      (i32.store (local.get $at) (local.get $pos))
      (local.set $pos (i32.add (local.get $pos) (local.get $k)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $reasons)))
    ;; Rows in id order into their buckets: a total c >= 0 is bucket c, -1 - reasons is 10002 + reasons.
    (local.set $r (i32.const 0))
    (block $done (loop $rows
      (br_if $done (i32.ge_s (local.get $r) (local.get $n)))
      (local.set $i (i32.load (i32.add (local.get $pById) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $c (i32.load (i32.add (local.get $pCents) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $m (i32.shr_s (local.get $c) (i32.const 31)))
      (local.set $at
        (i32.add (local.get $pSlots)
          (i32.shl (i32.add (i32.xor (local.get $c) (local.get $m)) (i32.and (local.get $m) (i32.const 10002))) (i32.const 2))))
      (local.set $pos (i32.load (local.get $at)))
      (i32.store (i32.add (local.get $pOrder) (i32.shl (local.get $pos) (i32.const 2))) (local.get $i))
      (i32.store (local.get $at) (i32.add (local.get $pos) (i32.const 1)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    ;; The listed groups of equal totals, order[a..b) each.
    (local.set $gEnd (local.get $g))
    (local.set $g (i32.const 0))
    (block $done (loop $groups
      (br_if $done (i32.ge_s (local.get $g) (local.get $gEnd)))
      (local.set $a (i32.load (i32.add (local.get $pGroups) (i32.shl (local.get $g) (i32.const 3)))))
      (local.set $b (i32.add (local.get $a) (i32.load offset=4 (i32.add (local.get $pGroups) (i32.shl (local.get $g) (i32.const 3))))))
      (if (i32.gt_s (i32.sub (local.get $b) (local.get $a)) (i32.const 64))
        (then (local.set $large (i32.add (local.get $large) (i32.const 1))))
        (else
          ;; Insertion sort of order[a..b): move past strictly worse entries only (stable).
          (local.set $x (i32.add (local.get $a) (i32.const 1)))
          (block $sorted (loop $insert
            (br_if $sorted (i32.ge_s (local.get $x) (local.get $b)))
            (local.set $i (i32.load (i32.add (local.get $pOrder) (i32.shl (local.get $x) (i32.const 2)))))
            (local.set $h (f64.load (i32.add (local.get $pRoom) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $img (i32.load (i32.add (local.get $pCI) (i32.shl (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))
            (local.set $y (i32.sub (local.get $x) (i32.const 1)))
            (block $placed (loop $shift
              (br_if $placed (i32.lt_s (local.get $y) (local.get $a)))
              (local.set $j (i32.load (i32.add (local.get $pOrder) (i32.shl (local.get $y) (i32.const 2)))))
              (local.set $hj (f64.load (i32.add (local.get $pRoom) (i32.shl (local.get $j) (i32.const 3)))))
              (br_if $placed
                (i32.eqz
                  (i32.or
                    (f64.lt (local.get $hj) (local.get $h))
                    (i32.and
                      (f64.eq (local.get $hj) (local.get $h))
                      (i32.lt_u
                        (i32.load (i32.add (local.get $pCI) (i32.shl (i32.load (i32.add (local.get $pCombo) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 2))))
                        (local.get $img))))))
              (i32.store (i32.add (local.get $pOrder) (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 2))) (local.get $j))
              (local.set $y (i32.sub (local.get $y) (i32.const 1)))
              (br $shift)))
            (i32.store (i32.add (local.get $pOrder) (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 2))) (local.get $i))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $insert)))))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $groups)))
    (local.get $large))
)

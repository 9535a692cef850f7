;; The hot loop of the audit's prefilter (trigger-index.ts), in WebAssembly: it walks the bytes
;; of a file four at a time; at each even position whose bigram belongs to a trigger and whose
;; neighbours (the character two places after, or the one just before) can belong to it too, it
;; compares the triggers registered for that bigram in full and writes out each one that occurs,
;; as a pair (trigger index, start).
;;
;; Why WebAssembly: the same loop in JavaScript runs interpreted until V8 has optimised it, and a
;; CLI process scanning one bundle spends much of its life before that point; WebAssembly is
;; compiled before its first call. The comparisons are here too for the same reason: done in
;; JavaScript, the first hundred thousand of them (a bundle has one every hundred bytes, mostly
;; `://`) ran cold and cost as much CPU time as this whole loop. Assembled into
;; trigger-scan-wasm.ts by `npm run build:wasm` (wabt); a test checks that the committed bytes are
;; this file's.
;;
;; Memory layout (trigger-index.ts writes the tables and the file bytes):
;;   [0, 131072)        bigram table: u16 group number (0 = none) at 2 * (c0 | c1 << 8)
;;   [131072, 262144)   per group g, at 131072 + 64 * g: a 256-bit set of the characters its
;;                      triggers accept two places after the bigram, then a 256-bit set of
;;                      those they accept just before it (so at most 2047 groups)
;;   [262144, 270336)   i32 per group g at 262144 + 4 * g: its first probe; group g's probes are
;;                      those from the entry at g - 1 to the one at g
;;   [270336, 303104)   probes, 8 bytes each: u16 trigger, u8 offset of the bigram in it, i8 where
;;                      the third character of its anchor is (+2 or -1), u8 what that character
;;                      must be, u8 its case mask
;;   [303104, 311296)   per trigger t at 303104 + 8 * t: i32 where its characters start (in the
;;                      next region), i32 its length
;;   [311296, 319488)   every trigger's characters (lower case where it ignores case), and at
;;                      [319488, 327680) their case masks: `byte | mask` must equal the character
;;   [327680, 589820)   output: (i32 trigger, i32 start) pairs, at most 32767
;;   [589820, 589824)   four zero bytes: "just before" the first byte of the file reads 0
;;   [589824, …)        the file's bytes, followed by eight zero bytes
;; No trigger contains a zero byte, so reading past either end of the file never matches.
;;
;; The module also counts line feeds (`lineFeeds`, for line-count.ts, on an instance of its own
;; whose memory from 589824 holds the stretch to count).
;; The module's memory starts at 10 pages (the tables and the output) and grows with the file.
(module
  (memory (export "memory") 10)
  ;; Where the next call should resume when the output filled up.
  (global $next (export "next") (mut i32) (i32.const 0))

  ;; The triggers of group $g whose bigram is at $q and that start in [$from, $before): each one
  ;; that occurs is written at pair $n of the output. Returns the new number of pairs.
  (func $probe (param $q i32) (param $g i32) (param $from i32) (param $before i32) (param $n i32)
    (result i32)
    (local $i i32) (local $end i32) (local $pr i32) (local $s i32) (local $t i32) (local $c i32)
    (local $len i32) (local $j i32)
    (local.set $i (i32.load (i32.add (i32.const 262140) (i32.shl (local.get $g) (i32.const 2)))))
    (local.set $end (i32.load (i32.add (i32.const 262144) (i32.shl (local.get $g) (i32.const 2)))))
    (block $done
      (loop $probes
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $pr (i32.add (i32.const 270336) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $s (i32.sub (local.get $q) (i32.load8_u offset=2 (local.get $pr))))
        (br_if $probes (i32.lt_u (local.get $s) (local.get $from)))
        (br_if $probes (i32.ge_u (local.get $s) (local.get $before)))
        ;; The third character of the anchor settles most probes with one read.
        (br_if $probes
          (i32.ne
            (i32.or
              (i32.load8_u (i32.add (local.get $q) (i32.load8_s offset=3 (local.get $pr))))
              (i32.load8_u offset=5 (local.get $pr)))
            (i32.load8_u offset=4 (local.get $pr))))
        (local.set $t (i32.load16_u (local.get $pr)))
        (local.set $c (i32.load (i32.add (i32.const 303104) (i32.shl (local.get $t) (i32.const 3)))))
        (local.set $len (i32.load (i32.add (i32.const 303108) (i32.shl (local.get $t) (i32.const 3)))))
        (local.set $j (i32.const 0))
        (block $whole
          (loop $chars
            (br_if $whole (i32.ge_u (local.get $j) (local.get $len)))
            (br_if $probes
              (i32.ne
                (i32.or
                  (i32.load8_u (i32.add (local.get $s) (local.get $j)))
                  (i32.load8_u offset=319488 (i32.add (local.get $c) (local.get $j))))
                (i32.load8_u offset=311296 (i32.add (local.get $c) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $chars)))
        (i32.store offset=327680 (i32.shl (local.get $n) (i32.const 3)) (local.get $t))
        (i32.store offset=327684 (i32.shl (local.get $n) (i32.const 3)) (local.get $s))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $probes)))
    (local.get $n))

  ;; The triggers that start in [$from, $before) and whose anchors are at p, p + 2, … for
  ;; p < $end (p four-aligned), in the order of their anchors; returns how many pairs were
  ;; written and sets $next to where to go on ($end when done). Stops early once more than $cap
  ;; pairs are written (the caller leaves room for the triggers of one more word).
  (func (export "scan") (param $p i32) (param $end i32) (param $cap i32) (param $from i32)
    (param $before i32) (result i32)
    (local $w i32) (local $g i32) (local $n i32) (local $set i32) (local $c i32)
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (i32.load (local.get $p)))
        ;; The bigram at p: the character after it is byte 2 of the word, the one before it the
        ;; byte at p - 1.
        (local.set $g (i32.load16_u (i32.shl (i32.and (local.get $w) (i32.const 0xffff)) (i32.const 1))))
        (if (local.get $g)
          (then
            (local.set $set (i32.add (i32.const 131072) (i32.shl (local.get $g) (i32.const 6))))
            ;; Bit c of a set: the word at set + 4 * (c >> 5), shifted right by c (wasm takes
            ;; the shift modulo 32); the two tests are or-ed and the low bit kept.
            (if (i32.and
                  (i32.or
                    (i32.shr_u
                    (i32.load (i32.add (local.get $set) (i32.shl (i32.shr_u (local.tee $c (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 0xff))) (i32.const 5)) (i32.const 2))))
                    (local.get $c))
                    (i32.shr_u
                    (i32.load (i32.add (i32.add (local.get $set) (i32.const 32)) (i32.shl (i32.shr_u (local.tee $c (i32.load8_u (i32.sub (local.get $p) (i32.const 1)))) (i32.const 5)) (i32.const 2))))
                    (local.get $c)))
                  (i32.const 1))
              (then
                (local.set $n
                  (call $probe (local.get $p) (local.get $g) (local.get $from) (local.get $before)
                    (local.get $n)))))))
        ;; The bigram at p + 2: the character after it is the byte at p + 4, the one before it
        ;; byte 1 of the word.
        (local.set $g (i32.load16_u (i32.shl (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 1))))
        (if (local.get $g)
          (then
            (local.set $set (i32.add (i32.const 131072) (i32.shl (local.get $g) (i32.const 6))))
            (if (i32.and
                  (i32.or
                    (i32.shr_u
                    (i32.load (i32.add (local.get $set) (i32.shl (i32.shr_u (local.tee $c (i32.load8_u (i32.add (local.get $p) (i32.const 4)))) (i32.const 5)) (i32.const 2))))
                    (local.get $c))
                    (i32.shr_u
                    (i32.load (i32.add (i32.add (local.get $set) (i32.const 32)) (i32.shl (i32.shr_u (local.tee $c (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 0xff))) (i32.const 5)) (i32.const 2))))
                    (local.get $c)))
                  (i32.const 1))
              (then
                (local.set $n
                  (call $probe (i32.add (local.get $p) (i32.const 2)) (local.get $g) (local.get $from)
                    (local.get $before) (local.get $n)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (if (i32.gt_u (local.get $n) (local.get $cap))
          (then
            (global.set $next (local.get $p))
            (return (local.get $n))))
        (br $words)))
    (global.set $next (local.get $p))
    (local.get $n))

  ;; The number of line feeds (byte 10) at [$p, $end): sixteen bytes a step, compared at once,
  ;; the matches' mask counted; then the bytes left one by one.
  (func (export "lineFeeds") (param $p i32) (param $end i32) (result i32)
    (local $n i32)
    (block $done16
      (loop $sixteen
        (br_if $done16 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $n
          (i32.add (local.get $n)
            (i32.popcnt
              (i8x16.bitmask
                (i8x16.eq (v128.load (local.get $p)) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $sixteen)))
    (block $done
      (loop $ones
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $n (i32.add (local.get $n) (i32.eq (i32.load8_u (local.get $p)) (i32.const 10))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ones)))
    (local.get $n)))

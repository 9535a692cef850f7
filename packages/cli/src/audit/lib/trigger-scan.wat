;; The hot loop of the audit's prefilter (trigger-index.ts), in WebAssembly: it walks the bytes
;; of a file four at a time and writes out the even positions whose bigram belongs to a trigger
;; and whose neighbours (the character two places after, or the one just before) can belong to
;; it too. trigger-index.ts then compares those few places with the triggers in full.
;;
;; Why WebAssembly: the same loop in JavaScript runs interpreted until V8 has optimised it, and a
;; CLI process scanning one bundle spends much of its life before that point; WebAssembly is
;; compiled before its first call. Assembled into trigger-scan-wasm.ts by
;; `npm run build:wasm` (wabt); a test checks that the committed bytes are this file's.
;;
;; Memory layout (trigger-index.ts writes the tables and the file bytes):
;;   [0, 131072)        bigram table: u16 group number (0 = none) at 2 * (c0 | c1 << 8)
;;   [131072, 262144)   per group g, at 131072 + 64 * g: a 256-bit set of the characters its
;;                      triggers accept two places after the bigram, then a 256-bit set of
;;                      those they accept just before it (so at most 2047 groups)
;;   [262144, 524284)   output: i32 positions, at most 65535
;;   [524284, 524288)   four zero bytes: "just before" the first byte of the file reads 0
;;   [524288, …)        the file's bytes, followed by eight zero bytes
;; No trigger contains a zero byte, so reading past either end of the file never matches.
(module
  (memory (export "memory") 9)
  ;; Where the next call should resume when the output filled up.
  (global $next (export "next") (mut i32) (i32.const 0))

  ;; Candidates at p, p + 2, … for p < end (p four-aligned); returns how many were written and
  ;; sets $next to where to go on (end when done). Stops early when fewer than two places are
  ;; left in the output.
  (func (export "scan") (param $p i32) (param $end i32) (param $cap i32) (result i32)
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
                (i32.store (i32.add (i32.const 262144) (i32.shl (local.get $n) (i32.const 2))) (local.get $p))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
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
                (i32.store (i32.add (i32.const 262144) (i32.shl (local.get $n) (i32.const 2)))
                  (i32.add (local.get $p) (i32.const 2)))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (if (i32.gt_u (i32.add (local.get $n) (i32.const 2)) (local.get $cap))
          (then
            (global.set $next (local.get $p))
            (return (local.get $n))))
        (br $words)))
    (global.set $next (local.get $p))
    (local.get $n)))

use super::*;

const MODELINE: &str = "# yaml-language-server: $schema=../schema/manifest.schema.json";

fn fmt(text: &str) -> String {
    format(text, Some(MODELINE)).unwrap_or_else(|r| panic!("refused: {r:?}"))
}

#[test]
fn keys_take_the_schema_order_and_comments_stay_with_their_items() {
    let text = "\
# yaml-language-server: $schema=https://example.com/old.json
# Opt-outs from the call centre.
removals:
    -   removal_reason: Consent re-obtained   # COMP-7
        number: 2025550102

entries:
  # The first caller.
  - source: inbound call
    reason: DNC
    number: '(202) 555-0101'
    scope: global
  - {number: 2025550103, reason: Litigator}   # flow style
defaults:
  scope: global
# The end.
";
    let expected = "\
# yaml-language-server: $schema=../schema/manifest.schema.json
# Opt-outs from the call centre.
defaults:
  scope: global

entries:
  # The first caller.
  - number: '(202) 555-0101'
    scope: global
    reason: DNC
    source: inbound call
  - number: \"2025550103\"   # flow style
    reason: Litigator
removals:
  - number: \"2025550102\"
    removal_reason: Consent re-obtained   # COMP-7
# The end.
";
    let out = fmt(text);
    assert_eq!(out, expected);
    assert_eq!(fmt(&out), out, "formatting is idempotent");
}

#[test]
fn every_comment_is_kept_exactly_once() {
    let text = "entries:  # all of them\n  - number: \"+1 202 555 0143\"  # first\n    reason: DNC # its reason\n\n  # before the second\n  - number: x#not-a-comment\n    reason: \"# not one either\"\n";
    let out = fmt(text);
    for comment in [
        "# all of them",
        "# first",
        "# its reason",
        "# before the second",
    ] {
        assert_eq!(out.matches(comment).count(), 1, "{comment} in:\n{out}");
    }
    assert!(out.contains("number: \"x#not-a-comment\"\n"), "{out}");
    assert!(out.contains("reason: \"# not one either\"\n"), "{out}");
    assert_eq!(fmt(&out), out);
}

#[test]
fn without_a_schema_directory_the_modeline_is_kept_as_written() {
    let text = "# yaml-language-server: $schema=mine.json\nentries: []\n";
    assert_eq!(format(text, None).unwrap(), text);
}

#[test]
fn what_cannot_be_rewritten_safely_is_refused() {
    let refused = |text: &str| format(text, None).unwrap_err();
    assert_eq!(
        refused("entries:\n  - number: x\n    reason: |\n      two\n      lines\n").line,
        3
    );
    assert!(
        refused("a: 1\na: 2\n")
            .message
            .starts_with("duplicate key `a`")
    );
    assert!(refused("- just a list\n").message.contains("mapping"));
    assert!(
        refused("entries:\n  - - nested\n")
            .message
            .contains("nested")
    );
    assert!(refused("a: &x 1\nb: *x\n").message.contains("aliases"));
}

//! Prints tree-sitter-bash's syntax tree for each argument (a development aid).
fn main() {
    let mut parser = tree_sitter::Parser::new();
    if parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .is_err()
    {
        return;
    }
    for arg in std::env::args().skip(1) {
        if let Some(tree) = parser.parse(&arg, None) {
            println!("{arg:?}\n  {}", tree.root_node().to_sexp());
        }
    }
}

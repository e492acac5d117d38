fn main() {
    println!("review-spec");
}

@main struct Example { static func main() {} }

import HerdRuntime
@main struct Main { static func main() {} }

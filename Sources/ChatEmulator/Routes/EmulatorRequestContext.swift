import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the connection's channel, so a fault can cut a
/// connection before it answers (an answer lost after the action was applied).
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

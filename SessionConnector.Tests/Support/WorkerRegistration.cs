using System.Runtime.CompilerServices;
using SessionConnector.Testing.Processes;

namespace SessionConnector.Tests.Support;

/// <summary>Names this assembly as the one <see cref="ChildProcess.StartWorker(string, string[])"/> starts.</summary>
internal static class WorkerRegistration
{
    // ChildProcess lives in the shared library and cannot tell which test assembly loaded it. A module initializer runs
    // before any code of this assembly, the tests and the worker Main alike, so no test can start a worker before it.
    [ModuleInitializer]
    internal static void Register() => ChildProcess.WorkerAssembly = typeof(WorkerRegistration).Assembly.Location;
}

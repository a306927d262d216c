using System.Runtime.CompilerServices;

namespace SessionConnector.Testing.Processes;

/// <summary>Names the test assembly this file is compiled into as the one <see cref="ChildProcess.StartWorker(string, string[])"/> starts.</summary>
/// <remarks>
/// Not compiled into this library (which cannot tell which test assembly loaded it): each test project that starts
/// workers compiles this one file in, through a linked Compile item in its project file.
/// </remarks>
internal static class WorkerRegistration
{
    // ChildProcess lives in the shared library and cannot tell which test assembly loaded it. A module initializer runs
    // before any code of this assembly, the tests and the worker Main alike, so no test can start a worker before it.
    [ModuleInitializer]
    internal static void Register() => ChildProcess.WorkerAssembly = typeof(WorkerRegistration).Assembly.Location;
}

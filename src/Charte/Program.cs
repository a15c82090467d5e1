using Charte.Cli;

return CharteCommand.Run(args, Console.Out, Console.Error, TimeProvider.System);

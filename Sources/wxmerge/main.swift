import WXMergeCLI

CommandLineTool.main()

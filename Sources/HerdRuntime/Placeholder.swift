import HerdCore
